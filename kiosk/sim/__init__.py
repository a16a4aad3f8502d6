"""Simulators for the demo and the tests: virtual cards, vpcd, wallet, fake reader, capture printer, private pcscd."""
