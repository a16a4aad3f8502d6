"""setup.sh install/image, the systemd units and the firmware config fragments."""
