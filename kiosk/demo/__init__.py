"""`kiosk demo`: the station on one machine with virtual cards and made-up residents."""
