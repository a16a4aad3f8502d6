"""County domain (see docs/architecture.md)."""
