"""The station process: the tap loop, the print spooler, signals, health, printers."""
