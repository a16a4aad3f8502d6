# shellcheck shell=bash
# Helpers shared by `setup.sh install`, `firstboot` and `image` (sourced by setup.sh, which
# provides say, die and REPO_DIR). Everything works on "/" or on a mounted root (--root DIR).

# What a station runs on: pcscd and CCID for the reader, the compiler and headers that build
# pyscard, CJK fonts for Chinese on screen and receipts, and for the touchscreen: cage and
# Chromium, xwayland (Debian 12's cage 0.1.4 refuses to start without /usr/bin/Xwayland),
# Mesa's GPU drivers (libgl1-mesa-dri: vc4/v3d on a Pi, virtio-gpu in a VM), and logind's PAM
# module with D-Bus (libpam-systemd, dbus), which give cage its seat on tty1 (else libseat
# would pick seatd, which nothing runs); espeak-ng speaks the queue's calls (queue.voice);
# chromium-l10n gives Chromium its Chinese (without it a date field reads mm/dd/yyyy).
# fake-hwclock saves the time (hourly and at shutdown) so a boot without network starts from it,
# not from 1970 (Raspberry Pi OS Bookworm ships it; plain Debian 12 does not); polkitd runs the
# kiosk's polkit rules (reboot; setting the clock through systemd-timedated).
readonly STATION_PACKAGES=(pcscd libccid python3-venv python3-dev gcc swig libpcsclite-dev cage xwayland libgl1-mesa-dri libpam-systemd dbus chromium chromium-l10n fonts-noto-cjk fonts-wqy-microhei espeak-ng fake-hwclock polkitd)
readonly KIOSK_HOME=/opt/kiosk

INSTALL_ROOT="/"
APT_OPTIONS=()     # more apt-get options (image --offline: no fsync while building an image)
PIP_COMPILE=1      # 0: no .pyc at install (image --offline compiles them natively on the PC)
DRY_RUN=0
NO_APT=0
WHEELS=""          # --wheels DIR: Python packages from this wheelhouse only (no network)
LOG_FILE=""
STEPS=1
COMMON_SHIFT=0

step() {
    say "$1/$STEPS" "$2"
    if [ -n "$LOG_FILE" ]; then printf '%s [%s/%s] %s\n' "$(date -Is)" "$1" "$STEPS" "$2" >>"$LOG_FILE"; fi
    return 0
}

note() {
    say "  " "$1"
    if [ -n "$LOG_FILE" ]; then printf '%s   %s\n' "$(date -Is)" "$1" >>"$LOG_FILE"; fi
    return 0
}

run() {
    if [ "$DRY_RUN" -eq 1 ]; then
        printf '  would run: %s\n' "$*"
    else
        "$@"
    fi
}

# Our lines (from stdin) in a system file, between markers: replaced on every run, so a
# re-run never piles them up and the file's own lines stay as they are.
replace_marked_block() {
    sed -i '/^# >>> kiosk >>>$/,/^# <<< kiosk <<<$/d' "$1"
    { printf '# >>> kiosk >>>\n'; cat; printf '# <<< kiosk <<<\n'; } >>"$1"
}

target() { printf '%s%s' "${INSTALL_ROOT%/}" "$1"; }

live() { [ "$INSTALL_ROOT" = "/" ]; }

# systemctl, or a note where systemd is not running (a chroot, a container).
services() {
    if [ -d /run/systemd/system ]; then
        systemctl "$@"
    else
        note "systemd is not running here: skipped systemctl $*"
    fi
}

# The options install and firstboot share; COMMON_SHIFT says how many arguments it used.
common_option() {
    local command="$1"
    shift
    case "$1" in
        --root) [ $# -ge 2 ] || die "--root needs a directory"; INSTALL_ROOT="$2"; COMMON_SHIFT=2 ;;
        --log) [ $# -ge 2 ] || die "--log needs a file"; LOG_FILE="$2"; COMMON_SHIFT=2 ;;
        --no-apt) NO_APT=1; COMMON_SHIFT=1 ;;
        --wheels) [ $# -ge 2 ] || die "--wheels needs the wheelhouse directory (setup.sh wheels --out DIR makes one)"
                  WHEELS="$2"; COMMON_SHIFT=2 ;;
        --dry-run) DRY_RUN=1; COMMON_SHIFT=1 ;;
        *) die "unknown option '$1' for $command (see ./setup.sh --help)" ;;
    esac
}

check_root_option() {
    need_root "$1"
    [ -d "$INSTALL_ROOT" ] || die "--root $INSTALL_ROOT: no such directory (mount the image's root first)"
    INSTALL_ROOT="$(cd "$INSTALL_ROOT" && pwd)"
    if [ -n "$WHEELS" ]; then
        compgen -G "$WHEELS/*.whl" >/dev/null \
            || die "--wheels $WHEELS: no wheels there (make them with ./setup.sh wheels --out $WHEELS)"
        WHEELS="$(cd "$WHEELS" && pwd)"
        check_fits --wheels "$WHEELS"
    fi
    return 0
}

# The architecture (uname -m's spelling) an ELF file was built for; fails for anything else.
elf_machine() {
    local bytes
    read -ra bytes < <(od -An -v -t u1 -N 20 "$1" 2>/dev/null | tr -s ' \n' '  ')
    [ "${#bytes[@]}" -eq 20 ] && [ "${bytes[0]}" -eq 127 ] && [ "${bytes[1]}" -eq 69 ] || return 1
    case $((bytes[18] + 256 * bytes[19])) in
        183) printf 'aarch64\n' ;;
        40) printf 'armv7l\n' ;;
        62) printf 'x86_64\n' ;;
        *) return 1 ;;
    esac
}

# The target's architecture and Python (major.minor): this machine's, or under --root the
# root's own, read from its files (its programs may be for another architecture).
target_machine() {
    if live; then uname -m; return; fi
    elf_machine "$(target /usr/bin/dpkg)" || elf_machine "$(target /bin/sh)"
}

target_python() {
    if live; then
        /usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])'
        return
    fi
    local link
    link="$(readlink "$(target /usr/bin/python3)" 2>/dev/null)" || return 1
    [[ "$link" =~ python([0-9]+\.[0-9]+)$ ]] || return 1
    printf '%s\n' "${BASH_REMATCH[1]}"
}

# --wheels DIR or --venv DIR: refused, naming each file, when its compiled parts are for
# another architecture or Python than the target's (deploy/platform_check.py), before pip
# or first boot gets to them. A root whose architecture cannot be read is not checked.
check_fits() {
    local what="$1" path="$2" machine python problems
    if ! machine="$(target_machine)" || ! python="$(target_python)"; then
        note "cannot tell the architecture and Python of $INSTALL_ROOT: ${what#--} not checked"
        return 0
    fi
    command -v python3 >/dev/null || die "python3 is needed to check $path: apt-get install python3"
    if ! problems="$(python3 "$REPO_DIR/deploy/platform_check.py" --machine "$machine" --python "$python" "$what" "$path")"; then
        problems="${problems//$'\n'/; }"
        if [ "$what" = --wheels ]; then
            die "the wheelhouse $path is not for this station ($machine, Python $python): $problems. Make it with setup.sh wheels on a machine like the station, or let setup.sh image --offline build it in the image; nothing was installed"
        fi
        die "the Python environment $path is not for this machine ($machine, Python $python): $problems. Rebuild it here (remove it, then setup.sh install --wheels DIR), or make the card again with setup.sh image --offline"
    fi
}

open_log() {
    [ -n "$LOG_FILE" ] || return 0
    mkdir -p "$(dirname "$LOG_FILE")" 2>/dev/null || true
    : >>"$LOG_FILE" 2>/dev/null || die "--log $LOG_FILE: cannot write it"
}

need_root() {
    [ "$DRY_RUN" -eq 1 ] || [ "$(id -u)" -eq 0 ] \
        || die "$1 needs root (files get the kiosk user's owner): sudo ./setup.sh $1 ..."
}

# The kiosk user's numeric uid and gid in the target's /etc/passwd (the image's, under --root).
kiosk_ids() {
    local passwd
    passwd="$(target /etc/passwd)"
    [ -r "$passwd" ] || return 1
    awk -F: '$1 == "kiosk" { print $3 ":" $4; found = 1 } END { exit !found }' "$passwd"
}

# The station's packages, and overlayroot when the boot line asks for a read-only root, with
# busybox: overlayroot's initramfs script needs its grep (initramfs-tools only recommends it;
# without it the script finds no overlay driver and the root stays writable).
wanted_packages() {
    printf '%s\n' "${STATION_PACKAGES[@]}"
    if grep -qs 'overlayroot=' "$(target /boot/firmware/cmdline.txt)"; then printf 'overlayroot\nbusybox\n'; fi
    return 0
}

missing_station_packages() {
    local pkg
    for pkg in $(wanted_packages); do
        dpkg-query --admindir="$(target /var/lib/dpkg)" -W -f='${Status}' "$pkg" 2>/dev/null \
            | grep -q "ok installed" || printf '%s\n' "$pkg"
    done
}

check_network() {
    local host
    for host in deb.debian.org archive.raspberrypi.com; do
        getent hosts "$host" >/dev/null 2>&1 && return 0
    done
    die "no network: apt-get needs the package mirrors (connect Ethernet or Wi-Fi, then re-run; --no-apt skips packages)"
}

install_station_packages() {
    local missing
    mapfile -t missing < <(missing_station_packages)
    if [ "$NO_APT" -eq 1 ]; then
        note "packages: skipped (--no-apt)${missing[*]:+; still missing: ${missing[*]}}"
        return
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        [ "$DRY_RUN" -eq 1 ] || check_network
        run env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            || die "apt-get update failed: is the network up, and the clock right (date)?"
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_OPTIONS[@]}" "${missing[@]}" \
            || die "apt-get install ${missing[*]} failed (see above)"
    else
        note "packages present: ${STATION_PACKAGES[*]}"
    fi
    # Chromium upgrades have broken kiosks: it is upgraded on purpose, after testing.
    run apt-mark hold chromium >/dev/null || die "apt-mark hold chromium failed"
}

# The kiosk system user from deploy/sysusers-kiosk.conf; under --root into the image's passwd.
install_kiosk_user() {
    run install -D -m 0644 "$REPO_DIR/deploy/sysusers-kiosk.conf" "$(target /usr/lib/sysusers.d/kiosk.conf)"
    # An explicit file is read from this path, so under --root it is the target's copy.
    run systemd-sysusers --root="$INSTALL_ROOT" "$(target /usr/lib/sysusers.d/kiosk.conf)" >/dev/null \
        || die "systemd-sysusers could not add the kiosk user to $(target /etc/passwd)"
}

# /var/lib/kiosk: database, station key, print queue. Only the kiosk user may enter it.
make_data_dir() {
    local dir ids
    dir="$(target /var/lib/kiosk)"
    run mkdir -p "$dir"
    [ "$DRY_RUN" -eq 1 ] && return 0
    ids="$(kiosk_ids)" || die "no kiosk user in $(target /etc/passwd)"
    chown "$ids" "$dir"
    chmod 0700 "$dir"
}

# The release that `current` points at (an empty string when none is installed yet).
current_release() {
    local link
    link="$(target "$KIOSK_HOME/current")"
    [ -L "$link" ] && basename "$(readlink "$link")"
    return 0
}

# A virtual environment for one release; .complete marks one that finished installing,
# so an interrupted build is rebuilt, never used. With --wheels, or a wheelhouse that
# install --wheels put into the release (for first boot), pip uses only that: no network.
build_venv() {
    local release_dir="$1" wheels="$WHEELS" from=()
    if [ -f "$release_dir/venv/.complete" ]; then
        check_fits --venv "$release_dir/venv"
        note "Python environment $release_dir/venv present"
        return
    fi
    if [ -z "$wheels" ] && [ -d "$release_dir/wheels" ]; then
        wheels="$release_dir/wheels"
        check_fits --wheels "$wheels"
    fi
    [ -n "$wheels" ] && from=(--no-index --find-links "$wheels")
    [ "$PIP_COMPILE" -eq 1 ] || from+=(--no-compile)
    if [ "$DRY_RUN" -eq 1 ]; then
        printf '  would build %s/venv and pip install the app%s\n' "$release_dir" "${wheels:+ from $wheels only}"
        return
    fi
    # Debian's own python3, which the kiosk user can run (not one from a developer's PATH). A
    # venv marked .fresh was made empty just before (image --offline's payload built the
    # wheelhouse with it): it is used as it is, saving a second venv under emulation.
    if [ ! -f "$release_dir/venv/.fresh" ]; then
        rm -rf "$release_dir/venv"
        /usr/bin/python3 -m venv "$release_dir/venv" || die "python3 -m venv failed: apt-get install python3-venv"
    fi
    rm -f "$release_dir/venv/.fresh"
    if ! "$release_dir/venv/bin/pip" install --quiet --disable-pip-version-check "${from[@]}" -e "$release_dir/app"; then
        rm -rf "$release_dir/venv"
        [ -n "$wheels" ] && die "pip install from the wheelhouse $wheels failed: a package is missing, or was built for another Python or architecture (make it with setup.sh wheels on a machine like this one); the previous version, if any, still runs"
        die "pip install failed (network?); the previous version, if any, still runs"
    fi
    touch "$release_dir/venv/.complete"
}
