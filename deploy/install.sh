# shellcheck shell=bash
# `setup.sh install`: put the kiosk on a station (/) or into a mounted root filesystem (--root).
# Sourced by setup.sh, which provides say, die and REPO_DIR.
#
# Into a running station it installs packages, the virtual environment and enables the
# units; into --root DIR (an SD card image being customised) it places the app, config,
# units and fragments, and leaves the packages and the virtual environment to first boot.
# Re-running upgrades in place: /var/lib/kiosk (database, key, print queue) is never touched.

readonly STATION_PACKAGES=(pcscd libccid python3-venv python3-dev gcc swig libpcsclite-dev cage chromium fonts-noto-cjk fonts-wqy-microhei)
readonly STEPS=9

INSTALL_ROOT="/"
DRY_RUN=0
STATION_ID=""
STATION_NAME=""
COUNTY_URL=""
COUNTY_PUBKEY_FILE=""
PRINTER=""
LOG_FILE=""

step() { say "$1/$STEPS" "$2"; [ -n "$LOG_FILE" ] && printf '[%s/%s] %s\n' "$1" "$STEPS" "$2" >>"$LOG_FILE"; return 0; }

run() {
    if [ "$DRY_RUN" -eq 1 ]; then
        printf '  would run: %s\n' "$*"
    else
        "$@"
    fi
}

target() { printf '%s%s' "${INSTALL_ROOT%/}" "$1"; }

parse_install_options() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --station-id) [ $# -ge 2 ] || die "--station-id needs a value"; STATION_ID="$2"; shift 2 ;;
            --station-name) [ $# -ge 2 ] || die "--station-name needs a value"; STATION_NAME="$2"; shift 2 ;;
            --county-url) [ $# -ge 2 ] || die "--county-url needs a value"; COUNTY_URL="$2"; shift 2 ;;
            --county-pubkey) [ $# -ge 2 ] || die "--county-pubkey needs a file"; COUNTY_PUBKEY_FILE="$2"; shift 2 ;;
            --printer) [ $# -ge 2 ] || die "--printer needs a value"; PRINTER="$2"; shift 2 ;;
            --root) [ $# -ge 2 ] || die "--root needs a directory"; INSTALL_ROOT="$2"; shift 2 ;;
            --log) [ $# -ge 2 ] || die "--log needs a file"; LOG_FILE="$2"; shift 2 ;;
            --dry-run) DRY_RUN=1; shift ;;
            *) die "unknown option '$1' for install (see ./setup.sh --help)" ;;
        esac
    done
    [ -d "$INSTALL_ROOT" ] || die "--root $INSTALL_ROOT: no such directory (mount the image's root first)"
    if [ -z "$STATION_ID" ] && [ ! -f "$(target /etc/kiosk/kiosk.toml)" ]; then
        die "--station-id is needed for a new station (3-64 lowercase letters, digits, dashes)"
    fi
    if [ -n "$STATION_ID" ] && ! [[ "$STATION_ID" =~ ^[a-z0-9][a-z0-9-]{2,63}$ ]]; then
        die "--station-id '$STATION_ID' is not valid: use 3-64 lowercase letters, digits and dashes"
    fi
    if [ -n "$COUNTY_URL" ] && ! [[ "$COUNTY_URL" =~ ^https:// ]]; then
        die "--county-url must start with https:// (plain http only to loopback, for tests)"
    fi
    if [ -n "$COUNTY_URL" ] && [ -z "$COUNTY_PUBKEY_FILE" ]; then
        die "--county-url needs --county-pubkey FILE (the county's public key, 64 hex digits)"
    fi
    if [ -n "$COUNTY_PUBKEY_FILE" ]; then
        [ -r "$COUNTY_PUBKEY_FILE" ] || die "--county-pubkey $COUNTY_PUBKEY_FILE: cannot read it"
        COUNTY_PUBKEY="$(tr -d ' \n\r' <"$COUNTY_PUBKEY_FILE")"
        [[ "$COUNTY_PUBKEY" =~ ^[0-9a-fA-F]{64}$ ]] \
            || die "--county-pubkey $COUNTY_PUBKEY_FILE: must hold 64 hex digits (kiosk-county init prints it)"
    fi
    if [ -n "$PRINTER" ] && ! [[ "$PRINTER" =~ ^(none|network:[A-Za-z0-9.-]+(:[0-9]+)?|usb:[0-9a-fA-F]{4}:[0-9a-fA-F]{4}|file:/.+)$ ]]; then
        die "--printer '$PRINTER' is not valid: none, network:HOST[:PORT], usb:VID:PID or file:/dev/usb/lp0"
    fi
    return 0
}

check_system() {
    step 1 "checking the system"
    if [ "$DRY_RUN" -eq 0 ] && [ "$INSTALL_ROOT" = "/" ] && [ "$(id -u)" -ne 0 ]; then
        die "install needs root: sudo ./setup.sh install ..."
    fi
    local os_release
    os_release="$(target /etc/os-release)"
    [ -r "$os_release" ] || die "$os_release missing: is --root the root of a Raspberry Pi OS image?"
    grep -q '^VERSION_CODENAME=bookworm' "$os_release" \
        || die "this needs Raspberry Pi OS / Debian 12 (bookworm); $os_release says otherwise"
    if [ "$INSTALL_ROOT" = "/" ]; then
        case "$(uname -m)" in
            aarch64|armv7l|x86_64) ;;
            *) die "unsupported architecture $(uname -m): use a Raspberry Pi 3B+, 4 or 5" ;;
        esac
    fi
    local free_kb
    free_kb="$(df -Pk "$INSTALL_ROOT" | awk 'NR == 2 {print $4}')"
    [ "${free_kb:-0}" -ge 512000 ] || die "only $((free_kb / 1024)) MB free on $INSTALL_ROOT; 500 MB are needed"
}

install_packages() {
    if [ "$INSTALL_ROOT" != "/" ]; then
        step 2 "packages: left to first boot (they need the running Pi)"
        return
    fi
    step 2 "installing packages: ${STATION_PACKAGES[*]}"
    run env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed: is the network up?"
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${STATION_PACKAGES[@]}" \
        || die "apt-get install failed (see above)"
    run apt-mark hold chromium >/dev/null  # Chromium upgrades have broken kiosks: upgrade on purpose
}

install_user() {
    step 3 "the kiosk user (groups lp, dialout, gpio, video, input, render)"
    run install -D -m 0644 "$REPO_DIR/deploy/sysusers-kiosk.conf" "$(target /usr/lib/sysusers.d/kiosk.conf)"
    if [ "$INSTALL_ROOT" = "/" ]; then
        run systemd-sysusers /usr/lib/sysusers.d/kiosk.conf
    fi
}

install_app() {
    step 4 "copying the app to /opt/kiosk/app"
    local app
    app="$(target /opt/kiosk/app)"
    run mkdir -p "$app"
    if [ "$DRY_RUN" -eq 0 ]; then
        if git -C "$REPO_DIR" rev-parse --git-dir >/dev/null 2>&1; then
            git -C "$REPO_DIR" ls-files -z | (cd "$REPO_DIR" && tar --null -T - -cf -) | tar -xf - -C "$app"
        else
            (cd "$REPO_DIR" && tar --exclude=.venv --exclude=test-artifacts -cf - .) | tar -xf - -C "$app"
        fi
    fi
    if [ "$INSTALL_ROOT" = "/" ]; then
        step 5 "Python environment in /opt/kiosk/venv"
        run python3 -m venv /opt/kiosk/venv
        run /opt/kiosk/venv/bin/pip install --quiet --disable-pip-version-check /opt/kiosk/app \
            || die "pip install failed; the previous version in /opt/kiosk/venv still runs"
    else
        step 5 "Python environment: left to first boot"
    fi
}

write_config() {
    step 6 "/etc/kiosk/kiosk.toml"
    local config
    config="$(target /etc/kiosk/kiosk.toml)"
    if [ -f "$config" ] && [ -z "$STATION_ID" ]; then
        say "  " "keeping the existing $config"
        return
    fi
    [ "$DRY_RUN" -eq 1 ] && { printf '  would write %s\n' "$config"; return; }
    mkdir -p "$(dirname "$config")"
    {
        printf '# Written by setup.sh install; docs/configuration.md lists every key.\n'
        printf '[station]\nid = "%s"\n' "$STATION_ID"
        [ -n "$STATION_NAME" ] && printf 'name = "%s"\n' "$STATION_NAME"
        printf 'data_dir = "/var/lib/kiosk"\n\n[reader]\nkind = "pcsc"\n\n'
        case "$PRINTER" in
            network:*) local hostport="${PRINTER#network:}"
                       printf '[printer]\nkind = "network"\nhost = "%s"\n' "${hostport%%:*}"
                       [[ "$hostport" == *:* ]] && printf 'port = %s\n' "${hostport##*:}"
                       printf '\n' ;;
            usb:*) local ids="${PRINTER#usb:}"
                   printf '[printer]\nkind = "usb"\nvendor_id = 0x%s\nproduct_id = 0x%s\n\n' "${ids%%:*}" "${ids##*:}" ;;
            file:*) printf '[printer]\nkind = "file"\npath = "%s"\n\n' "${PRINTER#file:}" ;;
            *) printf '[printer]\nkind = "none"\n\n' ;;
        esac
        if [ -n "$COUNTY_URL" ]; then
            printf '[county]\nurl = "%s"\npublic_key = "%s"\n\n' "$COUNTY_URL" "$COUNTY_PUBKEY"
        fi
        printf '[signals]\nkind = "gpio"\n'
    } >"$config.new"
    chmod 0644 "$config.new"
    mv "$config.new" "$config"
}

install_units_and_fragments() {
    step 7 "systemd units (kiosk, kiosk-sync, kiosk-browser, kiosk-firstboot)"
    local unit wants
    for unit in "$REPO_DIR"/systemd/*.service; do
        run install -D -m 0644 "$unit" "$(target "/etc/systemd/system/$(basename "$unit")")"
    done
    for unit in kiosk.service kiosk-sync.service kiosk-firstboot.service; do
        wants="$(target /etc/systemd/system/multi-user.target.wants)"
        run mkdir -p "$wants"
        run ln -sfn "/etc/systemd/system/$unit" "$wants/$unit"
    done
    wants="$(target /etc/systemd/system/graphical.target.wants)"
    run mkdir -p "$wants"
    run ln -sfn /etc/systemd/system/kiosk-browser.service "$wants/kiosk-browser.service"
    step 8 "udev, modprobe, journald, timesync, watchdog and polkit fragments"
    local fw="$REPO_DIR/firmware_config"
    run install -D -m 0644 "$fw/60-kiosk-printers.rules" "$(target /etc/udev/rules.d/60-kiosk-printers.rules)"
    run install -D -m 0644 "$fw/blacklist-nfc.conf" "$(target /etc/modprobe.d/kiosk-blacklist-nfc.conf)"
    run install -D -m 0644 "$fw/journald-kiosk.conf" "$(target /etc/systemd/journald.conf.d/kiosk.conf)"
    run install -D -m 0644 "$fw/timesyncd-kiosk.conf" "$(target /etc/systemd/timesyncd.conf.d/kiosk.conf)"
    run install -D -m 0644 "$fw/watchdog-kiosk.conf" "$(target /etc/systemd/system.conf.d/kiosk-watchdog.conf)"
    run install -D -m 0644 "$fw/50-kiosk-reboot.rules" "$(target /etc/polkit-1/rules.d/50-kiosk-reboot.rules)"
}

apply_boot_config() {
    step 9 "boot firmware settings"
    local boot
    boot="$(target /boot/firmware)"
    if [ ! -f "$boot/config.txt" ]; then
        say "  " "no $boot/config.txt (not a Raspberry Pi boot partition): skipped"
        return
    fi
    [ "$DRY_RUN" -eq 1 ] && { printf '  would update %s/config.txt and cmdline.txt\n' "$boot"; return; }
    # Replace our block between markers, so a re-run does not pile it up.
    sed -i '/^# >>> kiosk >>>$/,/^# <<< kiosk <<<$/d' "$boot/config.txt"
    { printf '# >>> kiosk >>>\n'; cat "$REPO_DIR/firmware_config/config.txt"; printf '# <<< kiosk <<<\n'; } >>"$boot/config.txt"
    if [ -f "$boot/cmdline.txt" ]; then
        local word line words
        line="$(head -n1 "$boot/cmdline.txt")"
        read -ra words < <(grep -v '^#' "$REPO_DIR/firmware_config/cmdline.txt")
        for word in "${words[@]}"; do
            [[ " $line " == *" $word "* ]] || line="$line $word"
        done
        printf '%s\n' "$line" >"$boot/cmdline.txt"
    fi
}

install_station() {
    parse_install_options "$@"
    if [ -n "$LOG_FILE" ]; then
        : >>"$LOG_FILE" || die "--log $LOG_FILE: cannot write it"
    fi
    check_system
    install_packages
    install_user
    install_app
    write_config
    install_units_and_fragments
    apply_boot_config
    say "done" "installed into $INSTALL_ROOT$([ "$DRY_RUN" -eq 1 ] && printf ' (dry run: nothing changed)')"
}
