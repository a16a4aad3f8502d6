"""Build the virtual station's disk: a Debian 12 root, the kiosk installed into it by the
README's `setup.sh install` (in a chroot, as on a Pi over SSH), then `mkfs.ext4 -d`.

Two layers, each cached under ``KIOSK_VM_CACHE`` (default /var/cache/kiosk-vm) and keyed by
what went into it, so a cache is never trusted across a change:
- the base root: mmdebstrap with the system packages, the station's packages (asked from
  deploy/common.sh, so a new package there rebuilds it) and the test-only ones;
- the kiosk layer: the base plus `setup.sh install`, keyed by the base and by the content of
  every project file copied in (and this harness's own recipe and guest files).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUEST = Path(__file__).resolve().parent / "guest"
CACHE = Path(os.environ.get("KIOSK_VM_CACHE", "/var/cache/kiosk-vm"))
# Bump when the build steps below change what they produce: BASE_RECIPE for the mmdebstrap
# root, RECIPE for the kiosk layer on it.
BASE_RECIPE = "vstation-4"
RECIPE = "vstation-7"
SUITE = "bookworm"
MIRRORS = ("deb http://deb.debian.org/debian bookworm main",
           "deb http://deb.debian.org/debian bookworm-updates main",
           "deb http://deb.debian.org/debian-security bookworm-security main")
# What makes the root boot under systemd in QEMU, and what the tests use inside it.
SYSTEM_PACKAGES = ("linux-image-amd64", "initramfs-tools", "systemd-sysv", "udev", "dbus", "kmod",
                   "procps", "ca-certificates", "python3", "sqlite3", "e2fsprogs", "polkitd")
# Test-only: the virtual reader driver, the read-only-root initramfs hook, and busybox, which
# overlayroot's initramfs script runs grep (and more) from and the apt variant root lacks
# ("grep: not found", then "Unable to find a driver": no overlay). In the base, not installed
# with apt-get in each kiosk layer: that was an apt-get update and an initramfs built twice.
TEST_PACKAGES = ("vsmartcard-vpcd", "overlayroot", "busybox")
STATION_ID = "vm-01"
INSTALL_ARGS = ("--station-id", STATION_ID, "--printer", "none")
# Left out of the copy the station gets: the host's tests, benchmarks, CI script and docs are
# not the kiosk, and a change to them must not rebuild the station's disk.
NOT_SHIPPED = ("tests/", "bench/", "docs/", ".ci/")
# The test image's initramfs carries only what mounts the root (and overlayroot's overlay):
# under TCG the default one (MODULES=most, 37 MB) spent half a minute unpacking and probing.
INITRAMFS_MODULES = ("virtio_pci", "virtio_blk", "ext4", "overlay")
DISK_SIZE = "6G"
WHEELS = "/var/lib/kiosk-test/wheels"  # inside the image


@dataclass(frozen=True)
class StationImage:
    """A built disk and the kernel and initrd of the root on it."""

    disk: Path
    kernel: Path
    initrd: Path
    wheels: str  # where the offline wheelhouse is inside the image
    build_seconds: dict[str, float]


def log(message: str) -> None:
    print(f"[vstation] {message}", flush=True)


def station_packages() -> list[str]:
    """The packages `setup.sh install` would fetch, as deploy/common.sh itself lists them."""
    script = f'source "{REPO}/deploy/common.sh"; INSTALL_ROOT=/nonexistent; wanted_packages'
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True)
    return out.stdout.split()


def base_packages() -> list[str]:
    return sorted({*SYSTEM_PACKAGES, *TEST_PACKAGES, *station_packages()})


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def shipped_files() -> list[str]:
    """The project files the station gets (tracked ones, as in the working tree)."""
    out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], check=True,
                         capture_output=True).stdout.decode()
    return sorted(p for p in out.split("\0") if p and not p.startswith(NOT_SHIPPED)
                  and (REPO / p).is_file())


def files_digest(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def base_key() -> str:
    return digest(BASE_RECIPE, SUITE, *MIRRORS, *base_packages())


def kiosk_key(base: str) -> str:
    """The product's content (the files the station gets) and what the harness bakes in: the
    guest files and RECIPE (bumped when the steps here change). Test files are not in it."""
    guest = sorted(p for p in GUEST.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return digest(base, RECIPE, " ".join(INSTALL_ARGS), FAILING_MIGRATION, " ".join(INITRAMFS_MODULES),
                  files_digest([REPO / p for p in shipped_files()], REPO),
                  files_digest(guest, GUEST))


def run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), check=True, **kw)


class CacheLock:
    """One builder at a time per cache (CI and a developer may share the machine)."""

    def __enter__(self):
        CACHE.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(CACHE / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


def build_base(key: str) -> Path:
    root = CACHE / f"base-{key}"
    if (root / ".complete").exists():
        return root
    work = CACHE / f"base-{key}.work"
    shutil.rmtree(work, ignore_errors=True)
    log(f"building the Debian 12 base root ({len(base_packages())} packages) with mmdebstrap")
    run("mmdebstrap", "--variant=apt", "--include=" + ",".join(base_packages()),
        "--aptopt=Acquire::Retries 3", "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-include=/usr/share/doc/*/copyright",
        "--dpkgopt=path-exclude=/usr/share/man/*", SUITE, str(work), *MIRRORS)
    (work / ".complete").write_text(key)
    shutil.rmtree(root, ignore_errors=True)
    work.rename(root)
    prune(prefix="base-", keep=root)
    return root


def prune(prefix: str, keep: Path, spare: int = 2) -> None:
    """Older layers of the same kind go, but the ``spare`` newest stay: another session on
    the machine (CI, a second worktree) may be booted from one of them."""
    older = sorted((p for p in CACHE.glob(prefix + "*") if p != keep
                    and not p.name.endswith(".work")), key=lambda p: p.stat().st_mtime)
    for old in older[:max(0, len(older) - spare)]:
        shutil.rmtree(old, ignore_errors=True)


class Chroot:
    """The mounts and files a chroot needs to run setup.sh with the network, undone after."""

    def __init__(self, root: Path):
        self.root, self.mounts = root, []

    def __enter__(self):
        for src, dst, opts in (("proc", "proc", ["-t", "proc"]), ("sysfs", "sys", ["-t", "sysfs"]),
                               ("/dev", "dev", ["--bind"]), ("/dev/pts", "dev/pts", ["--bind"]),
                               (str(CACHE / "pip"), "var/cache/kiosk-pip", ["--bind"])):
            (self.root / dst).mkdir(parents=True, exist_ok=True)
            if src.startswith("/"):
                Path(src).mkdir(parents=True, exist_ok=True)
            run("mount", *opts, src, str(self.root / dst))
            self.mounts.append(self.root / dst)
        shutil.copy("/etc/resolv.conf", self.root / "etc/resolv.conf")
        # The host's CA bundle: pip reaches PyPI the way it does on this machine.
        shutil.copy("/etc/ssl/certs/ca-certificates.crt", self.root / "tmp/host-ca.crt")
        return self

    def run(self, command: str, **kw) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
               "PIP_CERT": "/tmp/host-ca.crt", "PIP_CACHE_DIR": "/var/cache/kiosk-pip",
               "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_DEFAULT_TIMEOUT": "180"}
        return run("chroot", str(self.root), "/bin/bash", "-euo", "pipefail", "-c", command,
                   env=env, **kw)

    def __exit__(self, *exc):
        for mount in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)
        (self.root / "tmp/host-ca.crt").unlink(missing_ok=True)
        (self.root / "etc/resolv.conf").unlink(missing_ok=True)


def copy_source(dest: Path, files: list[str], extra: dict[str, str] | None = None) -> None:
    """The project as a technician copies it onto the station (plus test-only changes)."""
    shutil.rmtree(dest, ignore_errors=True)
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    for name, text in (extra or {}).items():
        (dest / name).write_text(text)


def bake_guest(root: Path) -> None:
    """The test-only parts: the agent, the report drop-in, the renderer drop-in, the kiosk
    browser's DevTools port (loopback), fstab."""
    units = root / "etc/systemd/system"
    shutil.copy(GUEST / "kiosk-test-agent.py", root / "usr/local/sbin/kiosk-test-agent")
    os.chmod(root / "usr/local/sbin/kiosk-test-agent", 0o755)
    shutil.copy(GUEST / "kiosk-test-agent.service", units / "kiosk-test-agent.service")
    (units / "multi-user.target.wants").mkdir(exist_ok=True)
    os.symlink("/etc/systemd/system/kiosk-test-agent.service",
               units / "multi-user.target.wants/kiosk-test-agent.service")
    for unit in ("kiosk", "kiosk-browser"):
        (units / f"{unit}.service.d").mkdir(exist_ok=True)
        shutil.copy(GUEST / f"{unit}-test.conf", units / f"{unit}.service.d/test.conf")
    shutil.copy(GUEST / "chromium-test-flags", root / "etc/chromium.d/kiosk-test")
    lib = root / "usr/local/lib/kiosk-test"
    lib.mkdir(parents=True, exist_ok=True)
    for script in GUEST.glob("*.py"):
        shutil.copy(script, lib / script.name)
    (root / "etc/fstab").write_text("LABEL=kiosk-root / ext4 errors=remount-ro 0 1\n")
    (root / "etc/hostname").write_text(f"{STATION_ID}\n")
    (root / "etc/machine-id").write_text("")


def build_kiosk_layer(base: Path, key: str) -> StationImage:
    out = CACHE / f"kiosk-{key}"
    work = CACHE / f"kiosk-{key}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    root = work / "root"
    timings: dict[str, float] = {}
    start = time.monotonic()
    log("copying the base root")
    run("cp", "-a", "--reflink=auto", str(base), str(root))
    (root / ".complete").unlink()
    copy_source(root / "root/kiosk-src", shipped_files())
    with Chroot(root) as chroot:
        log("setup.sh install " + " ".join(INSTALL_ARGS) + " (in the chroot)")
        chroot.run("cd /root/kiosk-src && ./setup.sh install " + " ".join(INSTALL_ARGS)
                   + " --log /var/log/kiosk-install.log")
        log("setup.sh wheels: the wheelhouse the upgrade tests install from (no network in the VM)")
        chroot.run(f"cd /root/kiosk-src && ./setup.sh wheels --out {WHEELS}")
        prebuild_releases(root, chroot)
        # Bytecode for the releases' own code (the kiosk user cannot write it there): without
        # it every kiosk process in the TCG guest compiled the app again, at every boot.
        chroot.run("/usr/bin/python3 -m compileall -q -j 0 /opt/kiosk/releases >/dev/null")
        log("a small initramfs (" + " ".join(INITRAMFS_MODULES) + ")")
        chroot.run("printf '%s\\n' " + " ".join(INITRAMFS_MODULES) + " > /etc/initramfs-tools/modules"
                   " && echo MODULES=list > /etc/initramfs-tools/conf.d/kiosk-test.conf"
                   " && update-initramfs -u -k all")
    timings["install"] = time.monotonic() - start
    bake_guest(root)
    boot = root / "boot"
    kernel = next(boot.glob("vmlinuz-*"))
    initrd = next(boot.glob("initrd.img-*"))
    shutil.copy(kernel, work / "vmlinuz")
    shutil.copy(initrd, work / "initrd.img")
    log(f"mkfs.ext4 -d ({DISK_SIZE} sparse)")
    mkfs_start = time.monotonic()
    run("mkfs.ext4", "-q", "-F", "-L", "kiosk-root", "-d", str(root), str(work / "disk.img"),
        DISK_SIZE)
    timings["mkfs"] = time.monotonic() - mkfs_start
    shutil.rmtree(root)
    (work / "timings.json").write_text(json.dumps(timings))
    shutil.rmtree(out, ignore_errors=True)
    work.rename(out)
    prune(prefix="kiosk-", keep=out)
    return image_at(out)


def image_at(out: Path) -> StationImage:
    timings = json.loads((out / "timings.json").read_text())
    return StationImage(out / "disk.img", out / "vmlinuz", out / "initrd.img",
                        WHEELS, timings)


def station_image() -> StationImage:
    """The cached disk for this project's content, built first if there is none."""
    with CacheLock():
        started = time.monotonic()
        bkey = base_key()
        base_cached = (CACHE / f"base-{bkey}" / ".complete").exists()
        base = build_base(bkey)
        base_seconds = time.monotonic() - started
        kkey = kiosk_key(bkey)
        out = CACHE / f"kiosk-{kkey}"
        if (out / "disk.img").exists() and (out / "timings.json").exists():
            image = image_at(out)
            image.build_seconds.update(cached=1.0)
        else:
            image = build_kiosk_layer(base, kkey)
        image.build_seconds.update(base=base_seconds, base_cached=float(base_cached),
                                   total=time.monotonic() - started)
        return image


FAILING_MIGRATION = '''

@migrations()
def m999_vm_test_fails_on_purpose(db: Database) -> None:
    raise RuntimeError("virtual station test: this release's migration fails on purpose")
'''


def release_trees(tree: Path) -> tuple[str, ...]:
    """Two more releases of this project for the upgrade tests: ``good`` (a marker file more)
    and ``bad`` (a migration that fails)."""
    files = shipped_files()
    copy_source(tree / "good", files, {"VM-RELEASE-2": "the second release of the upgrade test\n"})
    migrations = (REPO / "kiosk/store/migrations.py").read_text()
    copy_source(tree / "bad", files, {"kiosk/store/migrations.py": migrations + FAILING_MIGRATION})
    return ("good", "bad")


# setup.sh's own install_app (copy the app, build the venv from the wheelhouse with pip
# --no-index) for a release, without switching to it.
PREBUILD = ('say() { printf "[%s] %s\\n" "$1" "$2"; }; die() { say error "$1" >&2; exit 1; }; '
            'REPO_DIR="$PWD"; source deploy/common.sh; source deploy/install.sh; '
            'WHEELS=' + WHEELS + '; install_app')


def prebuild_releases(root: Path, chroot: Chroot) -> None:
    """The upgrade tests' releases get their venvs here, on the host, from the wheelhouse
    (offline, as in the VM): pip under TCG took minutes per release. Inside the VM,
    `setup.sh install` of the same tree (the same release id) then finds the venv present and
    does the rest itself: the copy, the migration, the switch and the restarts."""
    tree = root / "root/vm-releases"
    for which in release_trees(tree):
        log(f"the {which} release's venv, from the wheelhouse")
        chroot.run(f"cd /root/vm-releases/{which} && {PREBUILD}")
    shutil.rmtree(tree)


def releases_disk(workdir: Path) -> Path:
    """A small disk with the upgrade tests' releases, the way a technician brings a new copy
    on a USB stick (the same trees as the ones prebuild_releases made venvs for)."""
    tree = workdir / "releases"
    release_trees(tree)
    disk = workdir / "releases.img"
    run("mkfs.ext4", "-q", "-F", "-L", "kiosk-releases", "-d", str(tree), str(disk), "256M")
    shutil.rmtree(tree)
    return disk


def data_disk(workdir: Path) -> Path:
    """An empty partition for `setup.sh install --read-only-root LABEL=kiosk-data`."""
    disk = workdir / "data.img"
    run("mkfs.ext4", "-q", "-F", "-L", "kiosk-data", str(disk), "512M")
    return disk
