#!/usr/bin/env bash
# setup.sh: set up the kiosk on a Debian 12 / Raspberry Pi OS Bookworm machine.
#
#   ./setup.sh demo [-- DEMO-OPTIONS]   run the kiosk in demo mode (virtual reader, demo residents;
#                                       -- --port 8090 --desk-port 8444 to choose its ports)
#   ./setup.sh test [-- PYTEST-OPTIONS] run the whole test suite (on pytest-xdist workers, one
#                                       per core, at most 4; KIOSK_TEST_WORKERS=N to choose;
#                                       -n N or -p no:xdist among the options wins)
#   sudo ./setup.sh install --station-id ID [--station-name NAME] [--county-url URL
#        --county-pubkey FILE] [--printer none|network:HOST[:PORT]|usb:VID:PID|file:PATH]
#        [--rotate 0|90|180|270] [--read-only-root DEVICE | --writable-root] [--desk]
#        [--rtc ds3231] [--card-key FILE] [--root DIR] [--no-apt] [--wheels DIR] [--log FILE]
#        [--dry-run]
#                                       install or upgrade a station in place (--root: into a
#                                       mounted root filesystem; --no-apt: no packages;
#                                       --wheels: Python packages from that wheelhouse only,
#                                       no network; --read-only-root LABEL=kiosk-data: overlay
#                                       root, data on that partition; --writable-root: overlay off;
#                                       --desk: technician pages on the LAN over HTTPS;
#                                       --rtc ds3231: a battery clock on I2C;
#                                       --card-key: the county's card keys for this station)
#   sudo ./setup.sh image --from raspios-bookworm-arm64-lite.img.xz --out station.img
#        [--offline] [--no-loop] [--userconf FILE] [--data-size MB] [--root-size MB]
#        [install options]
#                                       an SD-card image with the kiosk in it (--offline: with
#                                       the packages and Python environment too, so first boot
#                                       needs no network; built in a qemu-user chroot on a PC;
#                                       --no-loop: edit the partitions with debugfs and mtools,
#                                       no loop devices; --data-size: a kiosk-data partition,
#                                       read-only root; --root-size: the root's MB, 4096)
#   sudo ./setup.sh firstboot [--root DIR] [--no-apt] [--wheels DIR] [--log FILE]
#                                       finish an imaged card on the Pi (kiosk-firstboot.service)
#   ./setup.sh wheels --out DIR         a wheelhouse for install --wheels (the kiosk and its Python
#                                       packages, for this machine's Python and architecture;
#                                       as root it installs what builds them)
#   ./setup.sh payload                  inside an image's root, run by image --offline in its
#                                       chroot: packages, wheelhouse, Python environment (no key,
#                                       no database, no service started)
#   ./setup.sh --help
#
# demo and test install what they need: Debian packages through apt-get (as root,
# or with sudo), then a virtual environment in .venv with the kiosk and its Python
# dependencies (test adds its test tools to it: pytest, Playwright, ruff, mypy...).
# install, image, firstboot, wheels and payload are in deploy/ and docs/deploy.md.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_DIR
readonly VENV="${KIOSK_VENV:-$REPO_DIR/.venv}"
# The one list of Debian packages for demo and test (.ci/run installs through `setup.sh test`
# too, so CI and a newcomer's machine get the same). The demo: pcscd + vpcd, the PC/SC stack and
# virtual reader; swig, libpcsclite-dev, gcc and python3-dev build pyscard; python3-venv gives
# Debian's python3 its venv module; the CJK fonts render Chinese on screen and raster receipt
# lines, rare characters included; espeak-ng speaks the queue's calls. (A station's own list,
# with cage and Chromium for its screen, is STATION_PACKAGES in deploy/common.sh.)
readonly APT_PACKAGES=(pcscd vsmartcard-vpcd swig libpcsclite-dev gcc python3-dev python3-venv fonts-noto-cjk fonts-wqy-microhei espeak-ng)
# The tests also need: Debian's Chromium (the UI tests' browser, through Playwright) with
# chromium-l10n, its Chinese (date fields in 年/月/日 order, as on a station); git (the
# tests list the project's files with git ls-files); procps (pgrep), systemd (systemd-sysusers,
# systemd-analyze), mount, iproute2 (ip, in the offline image test's network namespace) and
# ca-certificates (the virtual station's pip reaches PyPI with the host's CA bundle); the
# county receiver on PostgreSQL (a private server they start); dbus-daemon (the clock-setting
# test's private bus with a fake timedated); the shell scripts' linter
# (shellcheck); mtools, dosfstools, fdisk, e2fsprogs and xz-utils to build and read SD-card
# images (setup.sh image); the real cage (headless) under the browser unit's
# watcher; the virtual station (tests/vstation: a Debian 12 root made with mmdebstrap, booted in
# QEMU; tesseract reads its screen); FUSE for the power cuts; and qemu-user-static with
# binfmt-support for the arm64 chroot of `setup.sh image --offline` (tests/deploy).
readonly TEST_APT_PACKAGES=(chromium chromium-l10n git procps systemd mount iproute2 ca-certificates postgresql dbus-daemon shellcheck mtools dosfstools fdisk e2fsprogs xz-utils cage xwayland mmdebstrap qemu-system-x86 qemu-utils qemu-user-static binfmt-support fuse3 libfuse3-3 tesseract-ocr tesseract-ocr-chi-sim)

say() { printf '[%s] %s\n' "$1" "$2"; }
die() { printf 'setup.sh: error: %s\n' "$1" >&2; exit 1; }

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

missing_packages() {
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
            printf '%s\n' "$pkg"
        fi
    done
}

install_system_packages() {
    local missing
    mapfile -t missing < <(missing_packages "$@")
    if [ "${#missing[@]}" -eq 0 ]; then
        say "1/3" "system packages present"
        return
    fi
    say "1/3" "installing system packages: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root for: apt-get install ${missing[*]} (run as root, or install sudo)"
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        || die "apt-get update failed: is the network up?"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
        || die "apt-get install ${missing[*]} failed"
}

# The virtual environment with the kiosk and, for `test` ("$1" = test), its test tools:
# the demo gets only what a station runs (no pytest, no Playwright); `test` on a demo's .venv
# adds the test extra to it.
make_venv() {
    local spec="${REPO_DIR}"
    [ "${1:-}" = test ] && spec="${REPO_DIR}[test]"
    command -v python3 >/dev/null || die "python3 not found: apt-get install python3"
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "Python 3.11 or newer is needed (found $(python3 --version 2>&1))"
    if [ ! -x "$VENV/bin/python" ]; then
        say "2/3" "creating virtual environment $VENV"
        python3 -m venv "$VENV" || die "python3 -m venv failed: apt-get install python3-venv"
    else
        say "2/3" "virtual environment $VENV present"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" \
        || die "pip install failed (see above)"
}

# pytest's options for the parallel run, unless the caller chose (-n N, or -p no:xdist).
parallel_options() {
    local arg previous=""
    for arg in "$@"; do
        case "$arg" in
            -n|-n*|--numprocesses|--numprocesses=*|-pno:xdist) return ;;
            no:xdist) [ "$previous" = "-p" ] && return ;;
        esac
        previous="$arg"
    done
    if [ -n "${KIOSK_TEST_WORKERS:-}" ]; then
        printf '%s\n' -n "$KIOSK_TEST_WORKERS"
    else
        printf '%s\n' -n auto --maxprocesses 4
    fi
    printf '%s\n' --dist loadgroup
}

main() {
    local command="${1:-}"
    [ $# -gt 0 ] && shift
    [ "${1:-}" = "--" ] && shift
    case "$command" in
        demo)
            install_system_packages "${APT_PACKAGES[@]}"
            make_venv
            say "3/3" "starting the demo (Ctrl-C to stop)"
            exec "$VENV/bin/kiosk" demo "$@"
            ;;
        test)
            install_system_packages "${APT_PACKAGES[@]}" "${TEST_APT_PACKAGES[@]}"
            make_venv test
            say "3/3" "running the test suite"
            cd "$REPO_DIR"
            local parallel
            mapfile -t parallel < <(parallel_options "$@")
            exec "$VENV/bin/python" -m pytest "${parallel[@]}" "$@"
            ;;
        install|firstboot|image|wheels|payload)
            # shellcheck source=deploy/common.sh
            source "$REPO_DIR/deploy/common.sh"
            # shellcheck source=deploy/install.sh
            source "$REPO_DIR/deploy/install.sh"
            # shellcheck source=deploy/firstboot.sh
            source "$REPO_DIR/deploy/firstboot.sh"
            # shellcheck source=deploy/image.sh
            source "$REPO_DIR/deploy/image.sh"
            # shellcheck source=deploy/wheels.sh
            source "$REPO_DIR/deploy/wheels.sh"
            # shellcheck source=deploy/offline.sh
            source "$REPO_DIR/deploy/offline.sh"
            "${command}_station" "$@"
            ;;
        -h|--help|help)
            usage
            ;;
        "")
            usage >&2
            exit 2
            ;;
        *)
            usage >&2
            die "unknown command '$command'"
            ;;
    esac
}

main "$@"
