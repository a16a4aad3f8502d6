"""The county receiver: verifies and stores the stations' signed events (issue 5)."""
