"""Fixtures of the deployment tests."""

import pytest


@pytest.fixture
def image_root(tmp_path):
    """An empty Raspberry Pi OS-like root (os-release, boot firmware files) and a county key."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
                                             "VERSION_CODENAME=bookworm\nID=debian\n")
    boot = root / "boot" / "firmware"
    boot.mkdir(parents=True)
    (boot / "config.txt").write_text("arm_64bit=1\n")
    (boot / "cmdline.txt").write_text("console=tty1 root=PARTUUID=abc rootwait\n")
    key = tmp_path / "county.pub"
    key.write_text("ab" * 32 + "\n")
    return root, key
