"""County projections (see docs/architecture.md)."""
