# shellcheck shell=bash
# `setup.sh wheels --out DIR`: a wheelhouse for installing without a network
# (`setup.sh install --wheels DIR`): the kiosk, every Python package it depends on and the
# build backend its editable install needs. Sourced by setup.sh after deploy/common.sh. It
# installs what builds the wheels (WHEELS_PACKAGES) when missing, as root, or names them all.
#
# Compiled packages (pyscard, cryptography, Pillow) are built or fetched for the Python and the
# architecture of the machine that runs this, so make the wheelhouse on a machine like the
# stations: Debian 12 / Raspberry Pi OS Bookworm with its python3 (3.11), aarch64 for a 64-bit
# Pi OS, x86_64 for the virtual station.

# The build backend pip needs for `pip install -e` (pyproject.toml's [build-system] requires).
readonly BUILD_REQUIREMENTS=("setuptools>=68" wheel)
# What the wheelhouse is built with: Debian's python3 with its venv module, and the compiler,
# Python headers, swig and PC/SC headers that pyscard's C extension needs (docs/deploy.md).
readonly WHEELS_PACKAGES=(python3-venv python3-dev gcc swig libpcsclite-dev)

# The prerequisites, installed when missing (as root), or all named at once.
wheels_prerequisites() {
    local missing
    command -v dpkg-query >/dev/null || return 0  # not Debian: pip will say what is missing
    mapfile -t missing < <(missing_packages "${WHEELS_PACKAGES[@]}")
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "setup.sh wheels needs these Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]}, or run it with sudo and it installs them)"
    fi
    say "0/2" "installing what builds the wheels: ${missing[*]}"
    env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        || die "apt-get update failed: is the network up? (needed: ${missing[*]})"
    env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
        || die "apt-get install ${missing[*]} failed (see above)"
}

wheels_station() {
    local out=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --out) [ $# -ge 2 ] || die "--out needs a directory"; out="$2"; shift 2 ;;
            *) die "unknown option '$1' for wheels (see ./setup.sh --help)" ;;
        esac
    done
    [ -n "$out" ] || die "wheels needs --out DIR (where the wheelhouse goes)"
    wheels_prerequisites
    mkdir -p "$out" || die "--out $out: cannot create it"
    out="$(cd "$out" && pwd)"
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064  # expand now: the trap must remove this very directory
    trap "rm -rf '$work'" EXIT
    local pip="${WHEELS_PIP:-}"  # an empty venv's pip to build with (image --offline's payload)
    if [ -z "$pip" ]; then
        say "1/2" "a throwaway Python environment ($(/usr/bin/python3 --version 2>&1), $(uname -m))"
        /usr/bin/python3 -m venv "$work/venv" || die "python3 -m venv failed: apt-get install python3-venv"
        pip="$work/venv/bin/pip"
    fi
    mkdir "$work/app"
    # Only the files a release is made of (a copy, so the build leaves nothing in the tree).
    (cd "$REPO_DIR" && app_files | tar --null -T - -cf -) | tar -xf - -C "$work/app"
    say "2/2" "wheels for the kiosk and its dependencies into $out"
    # What is in $out already (image --offline fetches the platform's wheels and pyscard's
    # source there first) is used without an index when it is enough: only the kiosk and
    # the sources are built here. Otherwise pip fetches the rest from PyPI.
    if compgen -G "$out/*" >/dev/null && "$pip" wheel --quiet --disable-pip-version-check \
            --no-index --find-links "$out" --wheel-dir "$out" "$work/app" "${BUILD_REQUIREMENTS[@]}" 2>/dev/null; then
        note "built from the wheels and sources in $out, without PyPI"
    else
        "$pip" wheel --quiet --disable-pip-version-check --find-links "$out" --wheel-dir "$out" \
            "$work/app" "${BUILD_REQUIREMENTS[@]}" \
            || die "pip wheel failed (see above): it needs PyPI, and ${WHEELS_PACKAGES[*]} for pyscard"
    fi
    rm -f "$out"/*.tar.gz  # sources, now built into wheels
    say "done" "$(find "$out" -maxdepth 1 -name '*.whl' | wc -l) wheels in $out; install offline with: sudo ./setup.sh install --wheels $out ..."
}
