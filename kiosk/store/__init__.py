"""Storage: one SQLite file (WAL, synchronous=FULL) and in-memory fakes of the same repositories."""
