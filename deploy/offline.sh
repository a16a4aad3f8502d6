# shellcheck shell=bash
# `setup.sh image --offline`: a card whose first boot needs no network. The station's Debian
# packages, an aarch64 wheelhouse and the release's Python environment are put into the image
# here, on the PC, through a chroot of the image's root: under qemu-user (Debian's
# qemu-user-static and binfmt-support, installed when missing) on an x86 PC, natively on an
# arm64 machine (a Pi itself). Inside the chroot `setup.sh payload` does the work with the
# image's own apt sources and python3. Sourced by setup.sh after deploy/common.sh,
# deploy/install.sh and deploy/image.sh.
#
# What the chroot must never do: start services (policy-rc.d says no to every one), or make a
# database or a station key (payload does neither; image_station checks). While it is open,
# the image's resolv.conf, policy-rc.d and ld.so.preload are set aside, and put back after.

readonly QEMU_PACKAGES=(qemu-user-static binfmt-support)
# Python packages that publish no wheel for Linux: fetched as source, built in the image.
readonly SOURCE_ONLY=(pyscard)
readonly BUILD_DIR=/tmp/kiosk-build    # inside the chroot while it is open: CA bundle, pip.conf
CHROOT_ROOT=""
CHROOT_MOUNTS=()
CHROOT_ASIDE=()

# binfmt's name for the qemu that runs a machine's programs.
qemu_name() {
    case "$1" in
        aarch64) printf 'qemu-aarch64\n' ;;
        armv7l) printf 'qemu-arm\n' ;;
        x86_64) printf 'qemu-x86_64\n' ;;
        *) return 1 ;;
    esac
}

# Make this machine run the image's programs: natively, or through qemu-user and binfmt_misc
# (installed and registered when missing). binfmt's F flag lets the chroot use the host's
# qemu without a copy of it inside the image.
ensure_emulation() {
    local machine="$1" name entry missing
    if [ "$machine" = "$(uname -m)" ]; then
        note "this machine is $machine like the image: its programs run natively, no qemu"
        return
    fi
    name="$(qemu_name "$machine")" || die "the image is for $machine, which setup.sh cannot emulate"
    mapfile -t missing < <(missing_packages "${QEMU_PACKAGES[@]}")
    if [ "${#missing[@]}" -gt 0 ]; then
        note "installing ${missing[*]} to run the image's $machine programs on this $(uname -m) machine"
        env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            || die "apt-get update failed: is the network up? (needed: ${missing[*]})"
        env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
            || die "apt-get install ${missing[*]} failed (see above)"
    fi
    if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null \
            || die "cannot mount binfmt_misc (in a container, start it with --privileged)"
    fi
    entry="/proc/sys/fs/binfmt_misc/$name"
    if ! grep -qx enabled "$entry" 2>/dev/null; then
        mkdir -p /var/lib/binfmts
        update-binfmts --import "$name" >/dev/null 2>&1 || true
        update-binfmts --enable "$name" >/dev/null 2>&1 || true
    fi
    grep -qx enabled "$entry" 2>/dev/null \
        || die "binfmt cannot run $machine programs ($name not enabled): sudo update-binfmts --enable $name"
    grep -q '^flags:.*F' "$entry" \
        || die "binfmt's $name entry lacks the F flag, so a chroot cannot find qemu: reinstall qemu-user-static"
    note "$machine programs run here through $name (qemu-user-static)"
}

# A file of the image moved aside while the chroot is open (put back by close_chroot).
set_aside() {
    local path="$CHROOT_ROOT$1"
    [ -e "$path" ] || [ -L "$path" ] || { CHROOT_ASIDE+=("$1:"); return 0; }
    mv "$path" "$path.kiosk-aside"
    CHROOT_ASIDE+=("$1:aside")
}

open_chroot() {
    CHROOT_ROOT="$1"
    local dir
    for dir in proc sys dev dev/pts; do mkdir -p "$CHROOT_ROOT/$dir"; done
    mount -t proc proc "$CHROOT_ROOT/proc" && CHROOT_MOUNTS+=("$CHROOT_ROOT/proc")
    mount -t sysfs sysfs "$CHROOT_ROOT/sys" && CHROOT_MOUNTS+=("$CHROOT_ROOT/sys")
    mount --bind /dev "$CHROOT_ROOT/dev" && CHROOT_MOUNTS+=("$CHROOT_ROOT/dev")
    mount --bind /dev/pts "$CHROOT_ROOT/dev/pts" && CHROOT_MOUNTS+=("$CHROOT_ROOT/dev/pts")
    [ "${#CHROOT_MOUNTS[@]}" -eq 4 ] || die "cannot mount /proc, /sys and /dev into the image's root"
    set_aside /etc/resolv.conf
    cp -L /etc/resolv.conf "$CHROOT_ROOT/etc/resolv.conf" 2>/dev/null || : >"$CHROOT_ROOT/etc/resolv.conf"
    set_aside /usr/sbin/policy-rc.d
    printf '#!/bin/sh\n# setup.sh image --offline: no service starts inside the image\nexit 101\n' \
        >"$CHROOT_ROOT/usr/sbin/policy-rc.d"
    chmod 0755 "$CHROOT_ROOT/usr/sbin/policy-rc.d"
    set_aside /etc/ld.so.preload  # Raspberry Pi OS's armhf preload breaks programs under qemu
    # pip in the chroot trusts what this PC trusts and uses its pip settings (a county
    # office's mirror or proxy); the image's own CA store and config stay as they are.
    mkdir -p "$CHROOT_ROOT$BUILD_DIR"
    local cert="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" conf="${PIP_CONFIG_FILE:-/etc/pip.conf}"
    if [ -r "$cert" ]; then cp "$cert" "$CHROOT_ROOT$BUILD_DIR/ca.crt"; fi
    if [ "$conf" != /dev/null ] && [ -r "$conf" ]; then cp "$conf" "$CHROOT_ROOT$BUILD_DIR/pip.conf"; fi
}

close_chroot() {
    [ -n "$CHROOT_ROOT" ] || return 0
    local i entry path
    for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${CHROOT_MOUNTS[$i]}" 2>/dev/null || umount -l "${CHROOT_MOUNTS[$i]}" 2>/dev/null || true
    done
    CHROOT_MOUNTS=()
    for entry in "${CHROOT_ASIDE[@]}"; do
        path="$CHROOT_ROOT${entry%:*}"
        rm -f "$path"
        if [ "${entry##*:}" = aside ]; then mv "$path.kiosk-aside" "$path"; fi
    done
    CHROOT_ASIDE=()
    rm -rf "${CHROOT_ROOT:?}$BUILD_DIR"
    CHROOT_ROOT=""
}

# A command in the chroot with a clean environment: pip's settings come from this PC (above)
# and from the proxy and index variables, if set.
in_chroot() {
    local env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
               LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
               PIP_PROGRESS_BAR=off PIP_ROOT_USER_ACTION=ignore PIP_NO_CACHE_DIR=1) var
    [ -f "$CHROOT_ROOT$BUILD_DIR/ca.crt" ] && env+=("PIP_CERT=$BUILD_DIR/ca.crt")
    if [ -f "$CHROOT_ROOT$BUILD_DIR/pip.conf" ]; then
        env+=("PIP_CONFIG_FILE=$BUILD_DIR/pip.conf")
    elif [ "${PIP_CONFIG_FILE:-}" = /dev/null ]; then
        env+=(PIP_CONFIG_FILE=/dev/null)
    fi
    for var in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT \
               http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY KIOSK_PIP_COMPILE; do
        if [ -n "${!var:-}" ]; then env+=("$var=${!var}"); fi
    done
    chroot "$CHROOT_ROOT" /usr/bin/env -i "${env[@]}" "$@"
}

used_mb() { df -Pm "$1" | awk 'NR == 2 {print $3}'; }

# The image's Python packages, fetched by this PC's own pip for the image's platform: natively
# that takes seconds, where pip under qemu spends minutes on TLS and resolving. Those without
# a wheel (SOURCE_ONLY) come as source, which payload builds in the image. Anything that goes
# wrong here only costs time: payload then fetches what is missing itself.
fetch_wheels_natively() {
    local out="$1" machine="$2" python="$3" pip="$WORK_DIR/pip/bin/pip" deps=() binary=() dep name
    /usr/bin/python3 -m venv "$WORK_DIR/pip" >/dev/null 2>&1 \
        || { note "no python3-venv on this PC: the image's own pip fetches the wheels (slower)"; return 0; }
    mapfile -t deps < <(/usr/bin/python3 - "$REPO_DIR/pyproject.toml" <<'PY' 2>/dev/null
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
PY
)
    [ "${#deps[@]}" -gt 0 ] || { note "cannot read pyproject.toml's dependencies here: the image's pip fetches them"; return 0; }
    for dep in "${deps[@]}"; do
        name="${dep%%[<>=!~[; ]*}"
        [[ " ${SOURCE_ONLY[*]} " == *" $name "* ]] || binary+=("$dep")
    done
    local platforms=(--platform "linux_$machine" --platform "manylinux2014_$machine") minor
    for minor in $(seq 17 36); do platforms+=(--platform "manylinux_2_${minor}_$machine"); done
    mkdir -p "$out"
    if "$pip" download --quiet --disable-pip-version-check --dest "$out" --only-binary=:all: \
            "${platforms[@]}" --implementation cp --python-version "$python" \
            --abi "cp${python/./}" --abi abi3 --abi none "${binary[@]}" "${BUILD_REQUIREMENTS[@]}" \
        && "$pip" download --quiet --disable-pip-version-check --dest "$out" --no-deps \
            --no-binary "$(IFS=,; printf '%s' "${SOURCE_ONLY[*]}")" "${SOURCE_ONLY[@]}" \
        && fetch_build_requirements "$pip" "$out" "${platforms[@]}" --implementation cp \
            --python-version "$python" --abi "cp${python/./}" --abi abi3 --abi none; then
        note "fetched $(find "$out" -maxdepth 1 -name '*.whl' | wc -l) wheels for $machine, Python $python, natively"
    else
        note "could not fetch every wheel for $machine natively: the image's pip fetches the rest"
    fi
}

# What the sources in $2 need to be built (pyproject.toml's build-system requires: for
# pyscard, setuptools and swig from PyPI), as wheels for the image's platform.
fetch_build_requirements() {
    local pip="$1" out="$2" requires=()
    shift 2
    mapfile -t requires < <(/usr/bin/python3 - "$out" <<'PY'
import pathlib, sys, tarfile, tomllib
for sdist in pathlib.Path(sys.argv[1]).glob("*.tar.gz"):
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            if member.name.count("/") == 1 and member.name.endswith("/pyproject.toml"):
                build = tomllib.load(tar.extractfile(member)).get("build-system", {})
                print("\n".join(build.get("requires", [])))
PY
)
    [ "${#requires[@]}" -gt 0 ] || return 0
    "$pip" download --quiet --disable-pip-version-check --dest "$out" --only-binary=:all: "$@" "${requires[@]}"
}

# The venv's .pyc files, compiled by this PC's python3 (offline_build calls it when that is the
# image's Python version: bytecode does not depend on the architecture), with the paths they
# have on the card. Also
# the app's own modules, which pip does not compile (an editable install) and the kiosk user
# could not write at its first start.
compile_natively() {
    local release="$1"
    /usr/bin/python3 -m compileall -q -j 0 -s "$ROOT_DIR" -p / \
        "$release"/venv/lib/python*/site-packages "$release/app/kiosk" >/dev/null \
        || die "compiling the image's Python modules failed"
}

# The offline step of `image --offline`, on the image's mounted root (ROOT_DIR, INSTALL_ROOT).
offline_build() {
    local machine python started=$SECONDS before
    machine="$(target_machine)" || die "cannot tell the image's architecture (no /usr/bin/dpkg in its root?)"
    python="$(target_python)" || die "the image has no python3 (/usr/bin/python3): is it Raspberry Pi OS Bookworm?"
    before="$(used_mb "$ROOT_DIR")"
    ensure_emulation "$machine"
    local release native_compile=0
    release="$(readlink -f "$(target "$KIOSK_HOME")/current")"
    release="$ROOT_DIR$KIOSK_HOME/releases/$(basename "$release")"
    if [ -n "$(find "$release/wheels" -maxdepth 1 -name '*.whl' -print -quit 2>/dev/null)" ]; then
        touch "$release/wheels/.given"  # --wheels: payload builds nothing
    else
        fetch_wheels_natively "$release/wheels" "$machine" "$python"
    fi
    [ "$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$python" ] \
        && native_compile=1
    open_chroot "$ROOT_DIR"
    in_chroot /bin/true || die "the image's $machine programs do not run here (qemu-user and binfmt: docs/deploy.md)"
    KIOSK_PIP_COMPILE=$((1 - native_compile)) in_chroot "$KIOSK_HOME/app/setup.sh" payload \
        || die "the offline build in the image failed (see above); $IMAGE_OUT was not written"
    close_chroot
    if [ "$native_compile" -eq 1 ]; then
        compile_natively "$release"
        note "Python modules compiled by this PC's python3 (the image's version, $python)"
    fi
    local data
    data="$(target /var/lib/kiosk)"
    [ ! -e "$data/station.key" ] || die "a station key ended up in the image: refusing it"
    [ -z "$(find "$data" -maxdepth 1 -name 'kiosk.db*' -print -quit)" ] \
        || die "a database ended up in the image: refusing it (first boot's station makes its own)"
    [ -f "$(target "$KIOSK_HOME/current/venv/.complete")" ] || die "the image's Python environment is not complete"
    check_fits --venv "$(target "$KIOSK_HOME/current/venv")"
    note "packages and Python environment for $machine, Python $python, in the image: root $before MB -> $(used_mb "$ROOT_DIR") MB used, in $((SECONDS - started)) s"
}

# `setup.sh payload`: inside the image's root, in the chroot that offline_build opened.
payload_station() {
    STEPS=4
    while [ $# -gt 0 ]; do
        common_option payload "$@"
        shift "$COMMON_SHIFT"
    done
    check_root_option payload
    PIP_COMPILE="${KIOSK_PIP_COMPILE:-1}"
    # An image being built needs no fsync after every file: it is synced once, when closed.
    APT_OPTIONS=(-o Dpkg::Options::=--force-unsafe-io)
    live || die "payload works on / (setup.sh image --offline runs it in a chroot of the image)"
    [ ! -d /run/systemd/system ] \
        || die "payload is for an image's root (setup.sh image --offline), not a running station: use setup.sh install"
    local release_dir started=$SECONDS
    release_dir="$(readlink -f "$KIOSK_HOME/current")"
    [ -d "$release_dir/app" ] || die "$KIOSK_HOME/current: no release (setup.sh install --root runs first)"
    step 1 "packages from the image's own sources"
    install_station_packages
    note "packages: $((SECONDS - started)) s"
    started=$SECONDS
    step 2 "a wheelhouse for $(uname -m), Python $(target_python) ($release_dir/wheels)"
    if [ -f "$release_dir/wheels/.given" ]; then
        note "wheelhouse given with --wheels: $(find "$release_dir/wheels" -name '*.whl' | wc -l) wheels"
        rm -f "$release_dir/wheels/.given"
    else
        # The release's venv, made empty now and marked .fresh: it builds the wheels, and
        # build_venv then installs into it (one venv fewer under qemu: about 30 s).
        rm -rf "$release_dir/venv"
        /usr/bin/python3 -m venv "$release_dir/venv" || die "python3 -m venv failed: apt-get install python3-venv"
        touch "$release_dir/venv/.fresh"
        (WHEELS_PIP="$release_dir/venv/bin/pip" wheels_station --out "$release_dir/wheels") \
            || die "the wheelhouse could not be built (see above)"
        chmod -R u+rwX,go+rX,go-w "$release_dir/wheels"
    fi
    note "wheelhouse: $((SECONDS - started)) s"
    started=$SECONDS
    step 3 "Python environment from the wheelhouse alone"
    WHEELS="$release_dir/wheels"
    build_venv "$release_dir"
    note "Python environment: $((SECONDS - started)) s"
    step 4 "cleaning apt's and pip's caches"
    apt-get clean
    find /var/lib/apt/lists -mindepth 1 -maxdepth 1 ! -name lock ! -name partial -delete 2>/dev/null || true
    rm -rf /root/.cache/pip
    [ ! -e /var/lib/kiosk/station.key ] || die "a station key was made in the image"
    say "done" "the image holds the packages and the Python environment: first boot needs no network"
}
