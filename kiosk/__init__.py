"""kiosk: check-in station software for township health-service stations.

The package is layered as ports and adapters (see docs/architecture.md):
``kiosk.domain`` holds the rules and imports no hardware, web or database
library; ``kiosk.adapters`` and ``kiosk.store`` hold the real and fake
adapters; ``kiosk.bootstrap`` wires them together from one config file.
"""

__version__ = "0.1.0"
