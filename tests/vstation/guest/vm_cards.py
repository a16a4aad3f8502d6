"""TEST ONLY, run inside the virtual station with the kiosk's own venv python: register
residents and issue them virtual cards (``seed N`` prints the cards as JSON, with
kiosk.service stopped: one writer), then tap them on the vpcd reader (``tap CARDS N PAUSE FIRST``), the
same code path as the host's PC/SC tests, through the station's own pcscd.
"""
import json
import sys
import time
from pathlib import Path

from kiosk.sim.virtual_card import VirtualCard
from kiosk.testing.station import TapDriver, seed_residents

CONFIG = Path("/etc/kiosk/kiosk.toml")
VPCD_PORTS = [35963, 35964]  # Debian's /etc/reader.conf.d/vpcd


def to_json(card: VirtualCard) -> dict:
    return {"uid": card.uid.hex(), "kind": card.kind, "key_a": card.key_a.hex(),
            "key_b": card.key_b.hex(), "memory": bytes(card.memory).hex()}


def from_json(data: dict) -> VirtualCard:
    return VirtualCard(bytes.fromhex(data["uid"]), data["kind"], key_a=bytes.fromhex(data["key_a"]),
                       key_b=bytes.fromhex(data["key_b"]), memory=bytearray.fromhex(data["memory"]))


class SystemReader:
    """pcscd's own vpcd reader, described the way TapDriver expects a harness."""

    def __init__(self):
        from smartcard.System import readers
        deadline = time.monotonic() + 60
        names: list[str] = []
        while time.monotonic() < deadline and len(names) < 2:
            try:
                names = sorted(str(r) for r in readers() if "Virtual PCD" in str(r))
            except Exception:  # pcscd still starting
                names = []
            time.sleep(0.5)
        self.reader_names, self.slot_ports = names, VPCD_PORTS


def seed(count: int) -> None:
    print(json.dumps([to_json(card) for card in seed_residents(CONFIG, count)]))


def tap(cards_file: str, count: int, pause: float, first: int) -> None:
    """Tap ``count`` cards in turn from card ``first`` on; each line says which card and
    whether the UID was read."""
    cards = [from_json(c) for c in json.loads(Path(cards_file).read_text())]
    driver = TapDriver(SystemReader())
    try:
        for n in range(count):
            card = cards[(first + n) % len(cards)]
            card.reset()
            read = driver.tap(0, card, until_read=10.0)
            print(json.dumps({"tap": n, "uid": card.uid.hex(), "read": read}), flush=True)
            time.sleep(pause)
    finally:
        driver.close()


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(int(sys.argv[2]))
    else:
        tap(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
