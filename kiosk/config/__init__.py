"""The station's TOML config: sections, card keys and care-plan files, validated at start."""
