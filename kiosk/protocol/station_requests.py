"""What a station's request to the county carries: numbers read one strict way, and the
signature over everything that changes the county's answer (issue 23, N14).

**Numbers.** A count or sequence number on the wire is ASCII digits only (no sign, no space,
no "²" or full-width digits, which Python's ``str.isdigit`` and ``int`` accept), at most
``SEQ_MAX`` (a signed 64-bit integer: SQLite's INTEGER, PostgreSQL's BIGINT). Anything else is
malformed (400), never a number the database cannot hold (a 503 and a traceback before).

**Signed requests, version 2.** The station's key signs::

    "kiosk-station-request-v2\\0" + "<station id>\\n<METHOD>\\n<path>\\n<query>\\n<time>\\n<body hash>"

- ``path``: the route below the county's URL, as the county routes it
  ("/api/v1/stations/xinglong-01/restore"), never with the URL's own path prefix;
- ``query``: every query parameter, sorted by name and value, each ``name=value``
  percent-encoded (UTF-8, everything but letters, digits and ``-._~``) and joined by ``&``:
  the same text is sent as the URL's query, and the county rebuilds it from what it parsed,
  so a parameter added, dropped or changed on the way fails the signature;
- ``time``: X-Station-Time, which the county also requires within 5 minutes of its clock;
- ``body hash``: SHA-256 (hex) of the body (of nothing, for a GET).

Headers: X-Station-Id, X-Station-Time, X-Station-Signature (hex). The roster feed and the
restore use it; the push keeps its own message (kiosk.protocol.sync.push_message: it has no
query, and its body hash, head and time are signed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from urllib.parse import quote

from kiosk.domain.events import Signer

CONTEXT = b"kiosk-station-request-v2\x00"
SEQ_MAX = 2**63 - 1


def whole_number(text: str, maximum: int = SEQ_MAX) -> int | None:
    """``text`` as a whole number from 0 to ``maximum``, or None if it is not one."""
    if not 0 < len(text) <= len(str(SEQ_MAX)) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= maximum else None


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """The query's one text: pairs sorted, percent-encoded, joined by ``&``."""
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}"
                    for name, value in sorted(params))


def request_message(station_id: str, method: str, path: str, query: str, station_time: str,
                    body: bytes = b"") -> bytes:
    return CONTEXT + "\n".join((station_id, method.upper(), path, query, station_time,
                                hashlib.sha256(body).hexdigest())).encode()


def signed_request(station_id: str, method: str, path: str, params: dict[str, str],
                   station_time: str, signer: Signer, body: bytes = b""
                   ) -> tuple[str, dict[str, str]]:
    """(the path with its query, the signed headers) of one request."""
    query = canonical_query(params.items())
    signature = signer.sign(request_message(station_id, method, path, query, station_time, body))
    return (f"{path}?{query}" if query else path,
            {"X-Station-Id": station_id, "X-Station-Time": station_time,
             "X-Station-Signature": signature.hex()})
