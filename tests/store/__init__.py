"""The SQLite store: units of work, migrations, upgrades, log verification."""
