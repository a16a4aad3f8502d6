"""The county link: HTTP push of signed events (docs/sync-protocol.md), and an in-process fake.

``push`` returns the county's acknowledgement (the sync worker checks its signature)
or raises ``CountyRefused`` for an answer the station must act on (409 gap or fork,
400, 403); network trouble raises OSError and the worker retries later.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from kiosk.domain.events import ChainHead, Event, Signer
from kiosk.ports import Ack


class CountyRefused(Exception):
    def __init__(self, status: int, reason: str, expected_seq: int | None = None, detail: str = ""):
        super().__init__(f"county answered {status} {reason} {detail}".strip())
        self.status, self.reason, self.expected_seq, self.detail = status, reason, expected_seq, detail


def _ack(data: dict) -> Ack:
    return Ack(data["station_id"], data["seq"], data["hash"], data["county_time"],
               data.get("signature", ""))


class FakeCountyLink:
    """A county in memory that follows the protocol's rules and signs its acknowledgements."""

    def __init__(self, public_keys: dict | None = None, signer: Signer | None = None) -> None:
        self.public_keys, self.signer = public_keys or {}, signer
        self.received: list[Event] = []
        self.down = False

    def push(self, station_id: str, events: list[Event], head: int | None = None) -> Ack:
        from kiosk.county.protocol import Accepted, Fork, Gap, ack_body, judge, sign_ack
        if self.down:
            raise ConnectionRefusedError("fake county is down")
        mine = [e for e in self.received if e.station_id == station_id]
        head = ChainHead(mine[-1].seq, mine[-1].hash) if mine else ChainHead()
        key = self.public_keys.get(station_id)
        if key is None:  # no enrolment known: accept as the old stub did (port tests)
            verdict = Accepted([e for e in events if e.seq > head.seq])
        else:
            by_seq = {e.seq: e.hash for e in mine}
            verdict = judge(station_id, events, key, head, by_seq.get)
        if isinstance(verdict, Gap):
            raise CountyRefused(409, "gap", verdict.expected_seq)
        if isinstance(verdict, Fork):
            raise CountyRefused(409, "fork")
        if not isinstance(verdict, Accepted):
            raise CountyRefused(400, "refused", detail=verdict.reason)
        self.received.extend(verdict.new)
        last = self.received[-1] if self.received else events[-1]
        body = ack_body(station_id, last.seq, last.hash,
                        dt.datetime.now(dt.timezone.utc).isoformat())
        return _ack(sign_ack(body, self.signer) if self.signer else body)


class HttpCountyLink:
    """POST /api/v1/stations/{id}/events; HTTPS (CA bundle from config), or HTTP to loopback."""

    def __init__(self, base_url: str, timeout: float = 20.0, ca_bundle: str = "",
                 signer: Signer | None = None) -> None:
        """``signer``: the station key, which signs each push's time and head for the county
        (without it the county stores the events but not the station's metadata)."""
        parts = urlsplit(base_url)
        if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("county.url must use https:// (plain http only to loopback)")
        self.base_url, self.timeout, self.signer = base_url.rstrip("/"), timeout, signer
        self.context = (ssl.create_default_context(cafile=ca_bundle or None)
                        if parts.scheme == "https" else None)

    def push(self, station_id: str, events: list[Event], head: int | None = None) -> Ack:
        """``head``: the station's own highest seq, so the county can show its backlog."""
        body = json.dumps({"events": [vars(e) for e in events]}, ensure_ascii=False).encode()
        from kiosk.county.protocol import push_headers
        now = dt.datetime.now(dt.timezone.utc).isoformat()
        signed = push_headers(station_id, body, now, head, self.signer) if self.signer else {}
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/stations/{station_id}/events", data=body, method="POST",
            headers={"Content-Type": "application/json", **signed})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout,
                                        context=self.context) as response:
                return _ack(json.load(response))
        except urllib.error.HTTPError as exc:
            if exc.code in (400, 403, 409, 413):
                try:
                    data = json.load(exc)
                except ValueError:
                    data = {}
                raise CountyRefused(exc.code, data.get("error", ""), data.get("expected_seq"),
                                    str(data.get("detail", ""))) from None
            raise OSError(f"county answered {exc.code}") from None
        except (KeyError, ValueError) as exc:
            raise OSError(f"county answer not understood ({exc})") from None

    def roster(self, station_id: str, after: int, signer: Signer) -> dict:
        """One page of the roster feed after ``after``, asked for with the station's signature."""
        from kiosk.county.roster import request_message
        now = dt.datetime.now(dt.timezone.utc).isoformat()
        signature = signer.sign(request_message(station_id, after, now)).hex()
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/roster?after={after}",
            headers={"X-Station-Id": station_id, "X-Station-Time": now,
                     "X-Station-Signature": signature})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout,
                                        context=self.context) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code in (400, 403):
                raise CountyRefused(exc.code, "roster_refused") from None
            raise OSError(f"county answered {exc.code}") from None
        except ValueError as exc:
            raise OSError(f"county answer not understood ({exc})") from None
