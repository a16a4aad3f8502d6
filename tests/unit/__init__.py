"""Domain rules and pure helpers: models, events, care plans, check-in, keys, config, receipts."""
