# shellcheck shell=bash
# `setup.sh wheels --out DIR`: a wheelhouse for installing without a network
# (`setup.sh install --wheels DIR`): the kiosk, every Python package it depends on and the
# build backend its editable install needs. Sourced by setup.sh after deploy/common.sh.
#
# Compiled packages (pyscard, cryptography, Pillow) are built or fetched for the Python and the
# architecture of the machine that runs this, so make the wheelhouse on a machine like the
# stations: Debian 12 / Raspberry Pi OS Bookworm with its python3 (3.11), aarch64 for a 64-bit
# Pi OS, x86_64 for the virtual station.

# The build backend pip needs for `pip install -e` (pyproject.toml's [build-system] requires).
readonly BUILD_REQUIREMENTS=("setuptools>=68" wheel)

wheels_station() {
    local out=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --out) [ $# -ge 2 ] || die "--out needs a directory"; out="$2"; shift 2 ;;
            *) die "unknown option '$1' for wheels (see ./setup.sh --help)" ;;
        esac
    done
    [ -n "$out" ] || die "wheels needs --out DIR (where the wheelhouse goes)"
    mkdir -p "$out" || die "--out $out: cannot create it"
    out="$(cd "$out" && pwd)"
    local work
    work="$(mktemp -d)"
    # shellcheck disable=SC2064  # expand now: the trap must remove this very directory
    trap "rm -rf '$work'" EXIT
    say "1/2" "a throwaway Python environment ($(/usr/bin/python3 --version 2>&1), $(uname -m))"
    /usr/bin/python3 -m venv "$work/venv" || die "python3 -m venv failed: apt-get install python3-venv"
    mkdir "$work/app"
    # Only the files a release is made of (a copy, so the build leaves nothing in the tree).
    (cd "$REPO_DIR" && app_files | tar --null -T - -cf -) | tar -xf - -C "$work/app"
    say "2/2" "wheels for the kiosk and its dependencies into $out"
    "$work/venv/bin/pip" wheel --quiet --disable-pip-version-check --wheel-dir "$out" \
        "$work/app" "${BUILD_REQUIREMENTS[@]}" \
        || die "pip wheel failed (see above): it needs PyPI, and gcc, swig and libpcsclite-dev for pyscard"
    say "done" "$(find "$out" -maxdepth 1 -name '*.whl' | wc -l) wheels in $out; install offline with: sudo ./setup.sh install --wheels $out ..."
}
