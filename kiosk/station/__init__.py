"""The station process: the tap loop, the print spooler, the staff desk, services for the web pages, the screen hub."""
