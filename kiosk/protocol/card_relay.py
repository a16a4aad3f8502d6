"""The card relay between a station and the county: the county's half of a DESFire card's
AuthenticateEV2First for a card of another township (docs/sync-protocol.md, "Card relay").

    POST /api/v1/card-auth/begin   {"township", "version", "uid", "key_no", "enc_rnd_b"}
                                   -> {"token", "answer"}      (E(K, RndA || RndB'))
    POST /api/v1/card-auth/finish  {"token", "card_answer"}
                                   -> {"ti", "enc", "mac"}     (the session's keys)

Each request is signed by the station like a roster request: X-Station-Id, X-Station-Time
(within 5 minutes of the county's) and X-Station-Signature over this context, the station,
the time, the path and the SHA-256 of the body. Only key 1, the card's read key, is relayed:
a session with it reads the record, and changes nothing on the card.
"""

from __future__ import annotations

import hashlib

from kiosk.domain.events import Signer

CONTEXT = b"kiosk-card-relay-v1\x00"
READ_KEY = 1
BEGIN, FINISH = "/api/v1/card-auth/begin", "/api/v1/card-auth/finish"
MAX_BODY = 2048


def request_message(station_id: str, station_time: str, path: str, body: bytes) -> bytes:
    return (CONTEXT + f"{station_id}\n{station_time}\n{path}\n".encode()
            + hashlib.sha256(body).digest())


def request_headers(station_id: str, station_time: str, path: str, body: bytes,
                    signer: Signer) -> dict[str, str]:
    signature = signer.sign(request_message(station_id, station_time, path, body)).hex()
    return {"X-Station-Id": station_id, "X-Station-Time": station_time,
            "X-Station-Signature": signature, "Content-Type": "application/json"}
