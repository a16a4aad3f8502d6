# shellcheck shell=bash
# `setup.sh install`: put the kiosk on a station (/) or into a mounted root filesystem (--root).
# Sourced by setup.sh after deploy/common.sh.
#
# Into a running station it installs packages and the Python environment, runs the database
# migrations and switches to the new release; into --root DIR (an SD card image being
# customised) it places the app, config, units and fragments and leaves packages, the Python
# environment and the station key to first boot (setup.sh firstboot, kiosk-firstboot.service).
#
# Each release lives in /opt/kiosk/releases/<version>-<content hash> with its own venv;
# /opt/kiosk/current points at the running one (/opt/kiosk/app and /opt/kiosk/venv go
# through it). An upgrade builds the new release beside the old and switches only when its
# environment is built and the migrations succeeded, so a failure leaves the old one running.
# /var/lib/kiosk (database, key, print queue) is never replaced.

STEPS=10
STATION_ID=""
STATION_NAME=""
COUNTY_URL=""
COUNTY_PUBKEY=""
COUNTY_PUBKEY_FILE=""
PRINTER=""
ROTATE=""
DESK=0             # --desk: the technician pages on the station LAN, over HTTPS ([desk])
CARD_KEY_FILE=""   # --card-key FILE: the county's card key file for this station (docs/cards.md)
readonly CARD_KEY_PATH=/var/lib/kiosk/card.keys
RTC=""             # --rtc ds3231: a battery clock on I2C (firmware_config/rtc-ds3231.txt)
RELEASE=""
DATA_DEVICE=""     # --read-only-root DEVICE: the persistent partition mounted at /var/lib/kiosk
WRITABLE_ROOT=0    # --writable-root: turn the overlay off again (for upgrades)
readonly OVERLAY_WORD="overlayroot=tmpfs:recurse=0"

parse_install_options() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --station-id) [ $# -ge 2 ] || die "--station-id needs a value"; STATION_ID="$2"; shift 2 ;;
            --station-name) [ $# -ge 2 ] || die "--station-name needs a value"; STATION_NAME="$2"; shift 2 ;;
            --county-url) [ $# -ge 2 ] || die "--county-url needs a value"; COUNTY_URL="$2"; shift 2 ;;
            --county-pubkey) [ $# -ge 2 ] || die "--county-pubkey needs a file"; COUNTY_PUBKEY_FILE="$2"; shift 2 ;;
            --printer) [ $# -ge 2 ] || die "--printer needs a value"; PRINTER="$2"; shift 2 ;;
            --rotate) [ $# -ge 2 ] || die "--rotate needs 0, 90, 180 or 270"; ROTATE="$2"; shift 2 ;;
            --read-only-root) [ $# -ge 2 ] || die "--read-only-root needs the data partition (LABEL=kiosk-data)"
                              DATA_DEVICE="$2"; shift 2 ;;
            --writable-root) WRITABLE_ROOT=1; shift ;;
            --desk) DESK=1; shift ;;
            --card-key) [ $# -ge 2 ] || die "--card-key needs the file kiosk-county card-key station wrote"
                        CARD_KEY_FILE="$2"; shift 2 ;;
            --rtc) [ $# -ge 2 ] || die "--rtc needs ds3231"; RTC="$2"; shift 2 ;;
            *) common_option install "$@"; shift "$COMMON_SHIFT" ;;
        esac
    done
    check_root_option install
    if [ -z "$STATION_ID" ] && [ ! -f "$(target /etc/kiosk/kiosk.toml)" ]; then
        die "--station-id is needed for a new station (3-64 lowercase letters, digits, dashes)"
    fi
    if [ -n "$STATION_ID" ] && ! [[ "$STATION_ID" =~ ^[a-z0-9][a-z0-9-]{2,63}$ ]]; then
        die "--station-id '$STATION_ID' is not valid: use 3-64 lowercase letters, digits and dashes"
    fi
    if [[ "$STATION_NAME" == *[\"\\]* ]]; then
        die "--station-name must not contain quotes or backslashes"
    fi
    if [ -n "$COUNTY_URL" ] && ! [[ "$COUNTY_URL" =~ ^https://[^[:space:]\"]+$ ]]; then
        die "--county-url must be an https:// address (plain http only to loopback, for tests)"
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
    if [ -n "$CARD_KEY_FILE" ]; then
        [ -r "$CARD_KEY_FILE" ] || die "--card-key $CARD_KEY_FILE: cannot read it"
        if ! grep -q '^township = ' "$CARD_KEY_FILE" || ! grep -q '^mifare_classic = ' "$CARD_KEY_FILE"; then
            die "--card-key $CARD_KEY_FILE: not a card key file (kiosk-county card-key station writes one)"
        fi
    fi
    if [ -n "$PRINTER" ] && ! [[ "$PRINTER" =~ ^(none|network:[A-Za-z0-9.-]+(:[0-9]+)?|usb:[0-9a-fA-F]{4}:[0-9a-fA-F]{4}|file:/[^[:space:]\"]+)$ ]]; then
        die "--printer '$PRINTER' is not valid: none, network:HOST[:PORT], usb:VID:PID or file:/dev/usb/lp0"
    fi
    if [ -n "$ROTATE" ] && ! [[ "$ROTATE" =~ ^(0|90|180|270)$ ]]; then
        die "--rotate '$ROTATE' is not valid: 0, 90, 180 or 270 (degrees clockwise)"
    fi
    if [ -n "$DATA_DEVICE" ] && ! [[ "$DATA_DEVICE" =~ ^((LABEL|UUID|PARTUUID)=[A-Za-z0-9._-]+|/dev/[A-Za-z0-9/_.-]+)$ ]]; then
        die "--read-only-root '$DATA_DEVICE' is not valid: LABEL=kiosk-data, UUID=..., PARTUUID=... or /dev/sda1"
    fi
    if [ -n "$RTC" ] && [ "$RTC" != ds3231 ]; then
        die "--rtc '$RTC' is not known: ds3231 (a Pi 5's own RTC needs no option, only its battery)"
    fi
    if [ -n "$DATA_DEVICE" ] && [ "$WRITABLE_ROOT" -eq 1 ]; then
        die "--read-only-root and --writable-root contradict each other: choose one"
    fi
    if live && [ "$(findmnt -n -o FSTYPE / 2>/dev/null)" = overlay ] && [ "$WRITABLE_ROOT" -eq 0 ]; then
        die "the root filesystem is read-only (overlay): run 'sudo ./setup.sh install --writable-root', reboot, upgrade, then add --read-only-root again"
    fi
    return 0
}

check_system() {
    step 1 "checking the system"
    local os_release
    os_release="$(target /etc/os-release)"
    [ -r "$os_release" ] || die "$os_release missing: is --root the root of a Raspberry Pi OS image?"
    grep -q '^VERSION_CODENAME=bookworm' "$os_release" \
        || die "this needs Raspberry Pi OS / Debian 12 (bookworm); $os_release says otherwise"
    if live; then
        case "$(uname -m)" in
            aarch64|armv7l|x86_64) ;;
            *) die "unsupported architecture $(uname -m): use a Raspberry Pi 3B+, 4 or 5" ;;
        esac
    fi
    # Packages and the Python environment need 500 MB; into an image only the app goes now.
    local free_kb need_mb=500
    live || need_mb=50
    free_kb="$(df -Pk "$INSTALL_ROOT" | awk 'NR == 2 {print $4}')"
    [ "${free_kb:-0}" -ge $((need_mb * 1024)) ] || die "only $((free_kb / 1024)) MB free on $INSTALL_ROOT; $need_mb MB are needed"
}

install_packages() {
    if ! live; then
        step 2 "packages: left to first boot (they need the running Pi)"
        return
    fi
    step 2 "packages: ${STATION_PACKAGES[*]}"
    install_station_packages
}

install_user() {
    step 3 "the kiosk user (groups lp, dialout, gpio, video, input, render) and /var/lib/kiosk"
    install_kiosk_user
    make_data_dir
}

# <version>-<hash of every file's path and content>: the same tree gives the same release,
# so re-running an install changes nothing.
release_id() {
    local version hash
    version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$REPO_DIR/pyproject.toml" | head -n1)"
    hash="$(cd "$REPO_DIR" && app_files | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
    printf '%s-%s' "${version:-0}" "$hash"
}

app_files() {
    if git -C "$REPO_DIR" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$REPO_DIR" ls-files -z
    else
        find . -type f ! -path './.venv/*' ! -path './.git/*' ! -path './test-artifacts/*' \
            ! -name '*.pyc' -printf '%P\0'
    fi
}

install_app() {
    RELEASE="$(release_id)"
    local release_dir
    release_dir="$(target "$KIOSK_HOME/releases/$RELEASE")"
    step 4 "the app: $KIOSK_HOME/releases/$RELEASE"
    if [ "$DRY_RUN" -eq 0 ]; then
        mkdir -p "$release_dir/app"
        (cd "$REPO_DIR" && app_files | tar --null -T - -cf -) | tar -xf - -C "$release_dir/app" \
            --no-same-owner --no-same-permissions
        chmod -R u+rwX,go+rX,go-w "$release_dir/app"
        chmod 0755 "$(target "$KIOSK_HOME")" "$(target "$KIOSK_HOME/releases")" "$release_dir"
    fi
    if live; then
        step 5 "Python environment $KIOSK_HOME/releases/$RELEASE/venv"
        build_venv "$release_dir"
    else
        step 5 "Python environment: left to first boot (built on the Pi, for its architecture)"
        copy_wheels "$release_dir"
    fi
}

# Into an image, --wheels goes with the release, so first boot builds the environment
# from it without a network (the wheels must be built for the Pi's architecture).
copy_wheels() {
    [ -n "$WHEELS" ] || return 0
    note "wheelhouse $WHEELS copied into the release for first boot"
    [ "$DRY_RUN" -eq 1 ] && return 0
    rm -rf "$1/wheels"
    mkdir -p "$1/wheels"
    cp "$WHEELS"/*.whl "$1/wheels/"
    chmod -R u+rwX,go+rX,go-w "$1/wheels"
}

write_config() {
    step 6 "/etc/kiosk/kiosk.toml and browser.env"
    write_browser_env
    local config
    config="$(target /etc/kiosk/kiosk.toml)"
    if [ -f "$config" ] && [ -z "$STATION_ID" ]; then
        note "keeping the existing $config"
        if [ "$DESK" -eq 1 ] && ! grep -q '^\[desk\]' "$config"; then
            [ "$DRY_RUN" -eq 1 ] && { printf '  would add [desk] enabled = true to %s\n' "$config"; return; }
            printf '\n[desk]\nenabled = true\n' >>"$config"
            note "turned the technician desk on in $config (https on port 8443)"
        fi
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
        if [ "$DESK" -eq 1 ]; then
            printf '\n# The technician pages on the station LAN, HTTPS only (docs/technicians.md).\n'
            printf '[desk]\nenabled = true\n'
        fi
    } >"$config.new"
    # No secrets in it, but only root and the kiosk user need to read it.
    chown "0:${KIOSK_GID}" "$config.new"
    chmod 0640 "$config.new"
    mv "$config.new" "$config"
}

# --card-key: the township's card keys, beside the station key (0600, the kiosk user's), and
# [cards] desfire_key_file naming them. Never in the log, never in an image (setup.sh image
# refuses the option); the technician deletes the copy she carried.
install_card_key() {
    [ -n "$CARD_KEY_FILE" ] || return 0
    local config dest
    config="$(target /etc/kiosk/kiosk.toml)"
    dest="$(target "$CARD_KEY_PATH")"
    note "card key file of township $(sed -n 's/^township = "\(.*\)"$/\1/p' "$CARD_KEY_FILE") -> $CARD_KEY_PATH"
    [ "$DRY_RUN" -eq 1 ] && return 0
    install -m 0600 -o "$(kiosk_ids | cut -d: -f1)" -g "$(kiosk_ids | cut -d: -f2)" \
        "$CARD_KEY_FILE" "$dest"
    grep -q '^desfire_key_file' "$config" && return 0
    if grep -q '^\[cards\]' "$config"; then
        sed -i "s|^\[cards\]\$|[cards]\ndesfire_key_file = \"$CARD_KEY_PATH\"|" "$config"
    else
        printf '\n[cards]\ndesfire_key_file = "%s"\n' "$CARD_KEY_PATH" >>"$config"
    fi
}

# Touch input turns with the display because cage rotates the whole output (wlroots maps
# touch to the output), so one setting in /etc/kiosk/browser.env covers both.
write_browser_env() {
    local env_file turns=""
    env_file="$(target /etc/kiosk/browser.env)"
    if [ -z "$ROTATE" ]; then
        [ -f "$env_file" ] && return 0
        ROTATE=0
    fi
    case "$ROTATE" in 90) turns="-r" ;; 180) turns="-r -r" ;; 270) turns="-r -r -r" ;; esac
    [ "$DRY_RUN" -eq 1 ] && { printf '  would write %s (rotation %s)\n' "$env_file" "$ROTATE"; return; }
    mkdir -p "$(dirname "$env_file")"
    printf '# Written by setup.sh install --rotate %s: the display and touch rotation for cage.\nKIOSK_CAGE_ROTATION=%s\n' \
        "$ROTATE" "$turns" >"$env_file.new"
    chmod 0644 "$env_file.new"
    mv "$env_file.new" "$env_file"
}

install_units_and_fragments() {
    step 7 "systemd units (kiosk, kiosk-browser, kiosk-firstboot)"
    local unit wants
    for unit in "$REPO_DIR"/systemd/*.service; do
        run install -D -m 0644 "$unit" "$(target "/etc/systemd/system/$(basename "$unit")")"
    done
    # Raspberry Pi OS Lite boots to multi-user.target, so everything hangs off that.
    wants="$(target /etc/systemd/system/multi-user.target.wants)"
    run mkdir -p "$wants"
    # Releases before one writer per database ran sync as its own unit: it is the station's
    # thread now, and a second process must not write the database.
    run rm -f "$wants/kiosk-sync.service" "$(target /etc/systemd/system/kiosk-sync.service)"
    for unit in kiosk.service kiosk-browser.service kiosk-firstboot.service; do
        run ln -sfn "/etc/systemd/system/$unit" "$wants/$unit"
    done
    install_browser_slice_limits
    step 8 "udev, modprobe, journald, timesync, watchdog and polkit fragments"
    local fw="$REPO_DIR/firmware_config"
    run install -D -m 0644 "$fw/60-kiosk-printers.rules" "$(target /etc/udev/rules.d/60-kiosk-printers.rules)"
    run install -D -m 0644 "$fw/blacklist-nfc.conf" "$(target /etc/modprobe.d/kiosk-blacklist-nfc.conf)"
    run install -D -m 0644 "$fw/journald-kiosk.conf" "$(target /etc/systemd/journald.conf.d/kiosk.conf)"
    run install -D -m 0644 "$fw/timesyncd-kiosk.conf" "$(target /etc/systemd/timesyncd.conf.d/kiosk.conf)"
    run install -D -m 0644 "$fw/watchdog-kiosk.conf" "$(target /etc/systemd/system.conf.d/kiosk-watchdog.conf)"
    run install -D -m 0644 "$fw/50-kiosk-reboot.rules" "$(target /etc/polkit-1/rules.d/50-kiosk-reboot.rules)"
    run install -D -m 0644 "$fw/51-kiosk-clock.rules" "$(target /etc/polkit-1/rules.d/51-kiosk-clock.rules)"
}

# kiosk-browser.service opens a logind session for cage (PAMName=login), and pam_systemd moves
# cage and Chromium into that session's scope, under user-UID.slice: out of the unit's cgroup,
# where its IPAddressDeny/IPAddressAllow filter sits. The virtual station saw the kiosk's
# Chromium open a page on another address. The same limit on the kiosk user's slice reaches them
# there (kiosk.service runs as the kiosk user too, but in system.slice, so its sync to the
# county is not limited); the kiosk user has no login shell, so nobody else lives in that slice.
install_browser_slice_limits() {
    local ids uid dropin
    ids="$(kiosk_ids)" || { [ "$DRY_RUN" -eq 1 ] && return 0; die "no kiosk user in $(target /etc/passwd)"; }
    uid="${ids%%:*}"
    dropin="$(target "/etc/systemd/system/user-$uid.slice.d/kiosk-browser-network.conf")"
    [ "$DRY_RUN" -eq 1 ] && { note "would limit user-$uid.slice to loopback"; return 0; }
    mkdir -p "$(dirname "$dropin")"
    printf '%s\n' "# Written by setup.sh install: the kiosk browser's logind session (cage, Chromium) may" \
        "# reach loopback only, as kiosk-browser.service itself (see deploy/install.sh)." \
        "[Slice]" "IPAddressDeny=any" "IPAddressAllow=localhost" >"$dropin.new"
    chmod 0644 "$dropin.new"
    mv "$dropin.new" "$dropin"
}

apply_boot_config() {
    local boot
    boot="$(target /boot/firmware)"
    if [ ! -f "$boot/config.txt" ]; then
        note "no $boot/config.txt (not a Raspberry Pi boot partition): skipped"
        return
    fi
    [ "$DRY_RUN" -eq 1 ] && { printf '  would update %s/config.txt and cmdline.txt\n' "$boot"; return; }
    # The battery clock's overlay stays once asked for (a later run without --rtc keeps it).
    local fragments=("$REPO_DIR/firmware_config/config.txt")
    if [ "$RTC" = ds3231 ] || grep -qs '^dtoverlay=i2c-rtc,ds3231' "$boot/config.txt"; then
        fragments+=("$REPO_DIR/firmware_config/rtc-ds3231.txt")
    fi
    cat "${fragments[@]}" | replace_marked_block "$boot/config.txt"
    if [ -f "$boot/cmdline.txt" ]; then
        local word line words
        line="$(head -n1 "$boot/cmdline.txt")"
        read -ra words < <(grep -v '^#' "$REPO_DIR/firmware_config/cmdline.txt")
        [ -n "$DATA_DEVICE" ] && words+=("$OVERLAY_WORD")
        for word in "${words[@]}"; do
            [[ " $line " == *" $word "* ]] || line="$line $word"
        done
        if [ "$WRITABLE_ROOT" -eq 1 ]; then
            line="$(printf '%s\n' "$line" | sed -E 's/ ?overlayroot=[^ ]*//g')"
            note "read-only root off from the next boot: reboot, upgrade, then --read-only-root again"
        fi
        printf '%s\n' "$line" >"$boot/cmdline.txt"
    fi
}

# --read-only-root: the root becomes an overlay on tmpfs (overlayroot, recurse=0 so other
# mounts stay writable); /var/lib/kiosk must then be a real partition, or the database, key
# and print queue would vanish at every power cut. nofail plus the units' RequiresMountsFor
# means a missing partition stops the kiosk instead of letting it write into memory. The
# device gets 3 minutes to appear (systemd's default is 90 s; 30 s was too short for a slow USB
# stick, or a boot under load, which then left the station down until the next boot).
apply_data_partition() {
    [ -n "$DATA_DEVICE" ] || return 0
    local fstab line
    fstab="$(target /etc/fstab)"
    line="$DATA_DEVICE /var/lib/kiosk ext4 defaults,noatime,nofail,x-systemd.device-timeout=3min 0 2"
    note "read-only root: $DATA_DEVICE mounted at /var/lib/kiosk"
    [ "$DRY_RUN" -eq 1 ] && { printf '  would add to %s: %s\n' "$fstab" "$line"; return; }
    touch "$fstab"
    printf '%s\n' "$line" | replace_marked_block "$fstab"
    live && move_data_to_partition
    return 0
}

# On a running station the data already in /var/lib/kiosk moves onto the new partition
# before it is mounted over it (otherwise the station would lose its key and records).
move_data_to_partition() {
    findmnt -n /var/lib/kiosk >/dev/null && return 0
    local spare ids
    spare="$(mktemp -d)"
    mount "$DATA_DEVICE" "$spare" || { rmdir "$spare"; die "cannot mount $DATA_DEVICE: make it first (mkfs.ext4 -L kiosk-data /dev/...)"; }
    if [ -n "$(find "$spare" -mindepth 1 -maxdepth 1 ! -name lost+found -print -quit)" ]; then
        umount "$spare"; rmdir "$spare"
        die "$DATA_DEVICE is not empty: it may hold another station's data; check it, then empty it"
    fi
    # The station must not write while its files are copied, nor into the old directory once
    # the partition is mounted over it: switch_release starts the units again.
    services stop kiosk-browser.service kiosk.service kiosk-sync.service 2>/dev/null || true
    cp -a /var/lib/kiosk/. "$spare/"
    ids="$(kiosk_ids)"
    chown "$ids" "$spare"
    chmod 0700 "$spare"
    sync
    umount "$spare"; rmdir "$spare"
    services daemon-reload
    mount /var/lib/kiosk || die "cannot mount $DATA_DEVICE at /var/lib/kiosk (see dmesg)"
}

# Live: migrate the database with the new release (services stopped, a backup first) and
# switch only if that worked; under --root: just point `current` at the new release.
switch_release() {
    local old
    old="$(current_release)"
    step 10 "switching to release $RELEASE${old:+ (was $old)}"
    if [ "$DRY_RUN" -eq 1 ]; then
        printf '  would point %s/current at releases/%s\n' "$KIOSK_HOME" "$RELEASE"
        return
    fi
    local home
    home="$(target "$KIOSK_HOME")"
    if live && [ "$old" != "$RELEASE" ]; then
        services stop kiosk-browser.service kiosk.service kiosk-sync.service 2>/dev/null || true  # kiosk-sync: older releases
        if ! (umask 0077 && runuser -u kiosk -- "$home/releases/$RELEASE/venv/bin/kiosk" --config /etc/kiosk/kiosk.toml migrate); then
            [ -n "$old" ] && services start kiosk.service kiosk-browser.service
            die "the database migration failed (see above); ${old:+release $old still runs and }the database is as it was"
        fi
    fi
    ln -sfn "releases/$RELEASE" "$home/current.new" && mv -Tf "$home/current.new" "$home/current"
    ln -sfn current/app "$home/app.new" && mv -Tf "$home/app.new" "$home/app"
    ln -sfn current/venv "$home/venv.new" && mv -Tf "$home/venv.new" "$home/venv"
    prune_releases "$home" "$old"
    if live; then
        services daemon-reload
        if [ -f /var/lib/kiosk/station.key ]; then
            services restart kiosk.service kiosk-browser.service
        else
            services start --no-block kiosk-firstboot.service
        fi
    fi
}

# Keep the new release and the one before it (to go back by hand); remove older ones.
prune_releases() {
    local home="$1" keep_old="$2" dir
    for dir in "$home"/releases/*/; do
        dir="${dir%/}"
        case "$(basename "$dir")" in
            "$RELEASE"|"$keep_old") ;;
            *) note "removing the old release $(basename "$dir")"; rm -rf "$dir" ;;
        esac
    done
}

install_station() {
    STEPS=10
    parse_install_options "$@"
    open_log
    check_system
    install_packages
    install_user
    KIOSK_GID="$(kiosk_ids | cut -d: -f2)" || true
    [ -n "${KIOSK_GID:-}" ] || KIOSK_GID=0
    install_app
    write_config
    install_card_key
    install_units_and_fragments
    step 9 "boot firmware settings"
    apply_boot_config
    apply_data_partition
    switch_release
    say "done" "installed into $INSTALL_ROOT$([ "$DRY_RUN" -eq 1 ] && printf ' (dry run: nothing changed)')"
    if ! live; then
        note "first boot on the Pi installs the packages and the Python environment and makes the station key"
    fi
}
