"""The Flask UI through its test client: screens, technician pages, her record."""
