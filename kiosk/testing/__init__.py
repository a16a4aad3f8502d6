"""Drivers shared by the tests and bench/: a real station process, a private PostgreSQL."""
