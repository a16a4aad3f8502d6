"""County export (see docs/architecture.md)."""
