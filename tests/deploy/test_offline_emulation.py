"""`setup.sh image --offline` runs an arm64 image's programs on an x86 PC (issue 26), in seconds.

CI's offline-image check (test_offline_image.py, ``native``) makes an amd64 image and so never
emulates; this one proves the emulation part on every run: ``ensure_emulation aarch64``
(deploy/offline.sh) registers qemu-user-static with binfmt_misc, with the F flag, so a chroot
of an arm64 root runs its programs without a qemu inside it. The root holds two tiny aarch64
programs made here (exit 0, exit 3): the second's status shows the program really ran.
"""

from __future__ import annotations

import platform
import struct
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BASE = 0x400000
ELF_HEADER, PROGRAM_HEADER = 64, 56


def aarch64_exit_program(status: int) -> bytes:
    """A static aarch64 ELF executable that only exits with ``status``:
    ``mov x0, #status; mov x8, #93 (exit); svc #0``."""
    code = b"".join(word.to_bytes(4, "little")
                    for word in (0xD2800000 | status << 5, 0xD2800000 | 93 << 5 | 8, 0xD4000001))
    size = ELF_HEADER + PROGRAM_HEADER + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little-endian, version 1
    header = struct.pack("<16sHHIQQQIHHHHHH", ident, 2, 0xB7, 1, BASE + ELF_HEADER + PROGRAM_HEADER,
                         ELF_HEADER, 0, 0, ELF_HEADER, PROGRAM_HEADER, 1, 64, 0, 0)
    segment = struct.pack("<IIQQQQQQ", 1, 5, 0, BASE, BASE, size, size, 0x1000)  # LOAD, R+X
    return header + segment + code


def test_an_arm64_roots_programs_run_in_a_chroot_on_this_pc(tmp_path):
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    for name, status in (("true", 0), ("three", 3)):
        (root / "bin" / name).write_bytes(aarch64_exit_program(status))
        (root / "bin" / name).chmod(0o755)
    # setup.sh's own helpers (say, die, missing_packages: deploy/*.sh expect them), then
    # what `image --offline` does before its chroot, then two programs of the chroot.
    script = ('say() { printf "[%s] %s\\n" "$1" "$2"; }; die() { printf "error: %s\\n" "$1" >&2; exit 1; }; '
              'missing_packages() { local p; for p in "$@"; do dpkg-query -W -f="\\${Status}" "$p" '
              '2>/dev/null | grep -q "ok installed" || printf "%s\\n" "$p"; done; }; REPO_DIR="$1"; '
              'source "$REPO_DIR/deploy/common.sh"; source "$REPO_DIR/deploy/offline.sh"; '
              'ensure_emulation aarch64 && chroot "$2" /bin/true && { chroot "$2" /bin/three; echo "status $?"; }')
    result = subprocess.run(["bash", "-c", script, "check", str(REPO), str(root)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    if platform.machine() == "aarch64":
        assert "its programs run natively, no qemu" in result.stdout
    else:
        assert "aarch64 programs run here through qemu-aarch64 (qemu-user-static)" in result.stdout
    assert "status 3" in result.stdout, result.stdout + result.stderr
