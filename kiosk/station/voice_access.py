"""Who may have a call's announcement rendered: the screens the call was announced to.

``GET /voice/<n>/<room>.wav`` needs no login, since the waiting-room TV has none. Before,
any client could ask for any number and room, and each new one was rendered and kept
(finding N5, docs/security.md). Now a voice URL carries a pass: a MAC, under a secret
derived from the station key, over the local day, the number and the room. The station
mints one only when it announces a call, and sends it only on the streams of the kiosk's
own page and of ``/display`` pages (kiosk.web.screen). A request without a valid pass for
today is refused before anything is read or written; the pages also check that the number
was issued today. Passes die with the day, and survive a station restart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PASS_BYTES = 16


class VoicePasses:
    def __init__(self, secret: bytes | None = None):
        self._secret = secret or secrets.token_bytes(32)

    def mint(self, day: str, queue_no: int, room_id: str) -> str:
        mac = hmac.new(self._secret, f"voice|{day}|{queue_no}|{room_id}".encode(),
                       hashlib.sha256).digest()[:PASS_BYTES]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def valid(self, given: str, day: str, queue_no: int, room_id: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(),
                                                   self.mint(day, queue_no, room_id).encode())
