"""The virtual station: a Debian 12 root with the kiosk installed by `setup.sh install`,
booted under systemd in QEMU, for the tests of what a technician sees on a real Pi.

``image`` builds the root (mmdebstrap), installs the kiosk in a chroot and makes the ext4
disk, both cached on the machine; ``machine`` boots it and talks to the test-only agent
baked into the image (``guest/``). Nothing here is installed on a real station.
"""
