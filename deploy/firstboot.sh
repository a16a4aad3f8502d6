# shellcheck shell=bash
# `setup.sh firstboot`: what an imaged SD card finishes on the running Pi (run by
# kiosk-firstboot.service; sourced by setup.sh after deploy/common.sh). Every step is
# idempotent, so the unit simply retries until the network is there.
#
#   [1/6] packages            apt-get (network needed; --no-apt skips)
#   [2/6] the kiosk user      systemd-sysusers
#   [3/6] Python environment  built here, for this Pi's architecture
#   [4/6] the station key     made here, never in the image: 0600, owned by kiosk
#   [5/6] boot settings       again: Raspberry Pi OS's own first boot drops "quiet"
#   [6/6] starting the kiosk
#
# With --root DIR it works on a mounted root instead (the tests simulate first boot that way);
# steps that need the running Pi are then skipped, and KIOSK_BIN names the kiosk program.

parse_firstboot_options() {
    while [ $# -gt 0 ]; do
        case "$1" in
            *) common_option firstboot "$@"; shift "$COMMON_SHIFT" ;;
        esac
    done
    check_root_option firstboot
    [ -e "$(target "$KIOSK_HOME/current")" ] || [ "$DRY_RUN" -eq 1 ] \
        || die "$(target "$KIOSK_HOME/current") missing: run setup.sh install (or image) first"
}

make_station_key() {
    local key ids kiosk_bin
    key="$(target /var/lib/kiosk/station.key)"
    if [ -f "$key" ]; then
        note "station key present: $key (kept)"
        return
    fi
    [ "$DRY_RUN" -eq 1 ] && { printf '  would generate %s\n' "$key"; return; }
    kiosk_bin="${KIOSK_BIN:-$(target "$KIOSK_HOME/venv/bin/kiosk")}"
    [ -x "$kiosk_bin" ] || die "$kiosk_bin missing: the Python environment is not built yet"
    ids="$(kiosk_ids)" || die "no kiosk user in $(target /etc/passwd)"
    # Written under a temporary name and renamed, so a power cut never leaves half a key.
    rm -f "$key.new"
    (umask 0077 && "$kiosk_bin" keygen --key-file "$key.new") || die "kiosk keygen failed (see above)"
    chown "$ids" "$key.new"
    chmod 0600 "$key.new"
    sync "$key.new" 2>/dev/null || true
    mv "$key.new" "$key"
    note "station key made; kiosk print-test --enrolment prints its enrolment slip for the county"
}

firstboot_station() {
    STEPS=6
    parse_firstboot_options "$@"
    open_log
    step 1 "packages"
    if live; then
        install_station_packages
    else
        note "packages: skipped under --root (they need the running Pi)"
    fi
    step 2 "the kiosk user and /var/lib/kiosk"
    install_kiosk_user
    make_data_dir
    local release_dir
    release_dir="$(target "$KIOSK_HOME/current")"
    step 3 "Python environment for $(basename "$(readlink "$release_dir" 2>/dev/null || printf current)")"
    if live; then
        build_venv "$(readlink -f "$release_dir")"
    else
        note "Python environment: skipped under --root (it is built for the Pi's architecture)"
    fi
    step 4 "the station key"
    make_station_key
    step 5 "boot firmware settings"
    apply_boot_config
    step 6 "starting the kiosk"
    if live && [ "$DRY_RUN" -eq 0 ]; then
        services --no-block start kiosk.service kiosk-browser.service
    fi
    say "done" "first boot finished"
}
