"""The `kiosk` command: click commands by topic over the library; imported by nothing."""
