"""The project's own rules: architecture, docs, CLI help, translations."""
