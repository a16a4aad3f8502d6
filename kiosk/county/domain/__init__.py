"""The county's rules: stations, batch intake, the roster rules, key successions and county
users. Pure: no Flask, no SQL, no clock of its own (time comes in as values)."""
