"""The county receiver (SQLite and PostgreSQL), the county link, roster feed and sync faults."""
