#!/bin/bash
# Run inside the chroot of an image made by `setup.sh image --offline`, in a network namespace
# with only a loopback (tests/deploy/test_offline_image.py): first boot as
# kiosk-firstboot.service runs it, then the station as kiosk.service runs it, with the
# virtual reader (pcscd + vpcd, as in the virtual station) in place of a USB reader; the first
# technician; a tap; kiosk doctor. What happened goes to /tmp/offline-check/ for the test to read.
set -uo pipefail
out=/tmp/offline-check
mkdir -p "$out"
kiosk=/opt/kiosk/venv/bin/kiosk
config=/etc/kiosk/kiosk.toml
as_kiosk() { runuser -u kiosk -- "$@"; }
stamp() { printf '%s %s\n' "$(date +%s)" "$1" >>"$out/times"; }

stamp start
/opt/kiosk/app/setup.sh firstboot --log /var/log/kiosk-firstboot.log >"$out/firstboot.out" 2>&1
echo $? >"$out/firstboot.rc"
stamp firstboot

mkdir -p /run/pcscd
/usr/sbin/pcscd --foreground >"$out/pcscd.log" 2>&1 &
pcscd=$!

# The first technician, as docs/deploy.md says after first boot (the station stopped): her
# card is tapped on the virtual reader while `technician add` waits for it.
as_kiosk "$kiosk" --config "$config" technician add --name 测试技术员 --pin 246813 --timeout 150 \
    >"$out/technician.out" 2>&1 &
adder=$!
for _ in $(seq 10); do
    kill -0 "$adder" 2>/dev/null || break
    as_kiosk "$kiosk" --config "$config" tap 08D0D0D0 --hold 30 >>"$out/technician-tap.out" 2>&1
    sleep 1
done
wait "$adder"
echo $? >"$out/technician.rc"
stamp technician
(cd /var/lib/kiosk && exec runuser -u kiosk -- "$kiosk" --config "$config" serve --json \
    >"$out/taps.jsonl" 2>"$out/station.log") &
station=$!
for _ in $(seq 600); do  # until it answers with the reader ready
    if /usr/bin/python3 -c 'import json, sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:8080/healthz", timeout=5).read().decode()
sys.stdout.write(body)
sys.exit(json.loads(body)["reader"] != "ready")' >"$out/healthz.json" 2>/dev/null; then
        break
    fi
    kill -0 "$station" 2>/dev/null || break
    sleep 0.5
done
stamp healthz

as_kiosk "$kiosk" --config "$config" tap 04A1B2C3 >"$out/tap.out" 2>&1
for _ in $(seq 240); do
    [ -s "$out/taps.jsonl" ] && break
    sleep 0.5
done
stamp tap

as_kiosk "$kiosk" --config "$config" doctor >"$out/doctor.out" 2>&1
stamp doctor

kill "$station" 2>/dev/null
wait "$station" 2>/dev/null
kill "$pcscd" 2>/dev/null
wait "$pcscd" 2>/dev/null
stamp stop
