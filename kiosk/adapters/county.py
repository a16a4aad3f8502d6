"""The county link: HTTP push of signed events and the roster pull (docs/sync-protocol.md).

``push`` returns the county's acknowledgement (the sync worker checks its signature)
or raises ``CountyRefused`` for an answer the station must act on (409 gap or fork,
400, 403); network trouble raises OSError and the worker retries later, an answer cut short
(http.client's IncompleteRead: the county lost power mid-answer) included.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from kiosk.domain.events import Event, Signer
from kiosk.ports import Ack, CountyRefused
from kiosk.protocol.sync import push_headers


def ack_from(data: dict) -> Ack:
    """The acknowledgement in a county answer (its signature is checked by the sync worker)."""
    return Ack(data["station_id"], data["seq"], data["hash"], data["county_time"],
               data.get("signature", ""))


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
        now = dt.datetime.now(dt.UTC).isoformat()
        signed = push_headers(station_id, body, now, head, self.signer) if self.signer else {}
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/stations/{station_id}/events", data=body, method="POST",
            headers={"Content-Type": "application/json", **signed})
        answer = self._answer(request, (400, 403, 409, 413), "")
        try:
            return ack_from(answer)
        except KeyError as exc:
            raise OSError(f"county answer not understood (no {exc})") from None

    def roster(self, station_id: str, after: str, signer: Signer) -> dict:
        """One page of the roster feed after ``after`` (the per-station cursor, version 2;
        digits alone: a version-1 cursor the county converts), asked for with the station's
        signature over every parameter (kiosk.protocol.station_requests)."""
        from kiosk.protocol.roster import POSITIONS_VERSION
        request = self._signed_get("/api/v1/roster", {"after": after, "v": POSITIONS_VERSION},
                                   station_id, signer)
        return self._answer(request, (400, 403), "roster_refused", keep_error=True)

    def lookup(self, station_id: str, card_no: str, record: bytes, tap: Event, signer: Signer,
               timeout: float = 3.0) -> dict:
        """A visitor's record (docs/sync-protocol.md, "Visitors"): the card's signed record and
        this station's signed tap event, asked for with the station's signature; a refusal
        (403 revoked, 404 unknown card, 409, 429 over the limit) raises CountyRefused. Short
        ``timeout``: she waits at the kiosk, and offline she is checked in by her card."""
        from kiosk.protocol.visitors import request_body, request_message
        body = request_body(card_no, record, vars(tap))
        now = dt.datetime.now(dt.UTC).isoformat()
        signature = signer.sign(request_message(station_id, now, body)).hex()
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/visitors/lookup", data=body, method="POST",
            headers={"Content-Type": "application/json", "X-Station-Id": station_id,
                     "X-Station-Time": now, "X-Station-Signature": signature})
        return self._answer(request, (400, 403, 404, 409, 413, 429), "refused", timeout=timeout)

    def restore_page(self, station_id: str, after: int, signer: Signer, limit: int = 2000) -> dict:
        """One page of the station's chain as the county stores it, for the successor key a
        ``kiosk-county replace`` enrolled (kiosk restore --from-county); the county's refusal
        (403 no_succession, ...) raises CountyRefused."""
        request = self._signed_get(f"/api/v1/stations/{station_id}/restore",
                                   {"after": str(after), "limit": str(limit)}, station_id, signer)
        return self._answer(request, (400, 403), "refused")

    def _answer(self, request: urllib.request.Request, refusals: tuple[int, ...], error: str,
                timeout: float | None = None, keep_error: bool = False) -> dict:
        """The county's JSON answer to ``request``. A status in ``refusals`` is an answer the
        station acts on: CountyRefused with the county's error (``error`` when it gives none,
        or always with ``keep_error``), its expected seq and detail. Anything else (another
        status, an answer cut short or not JSON) is network trouble: OSError, retried later."""
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout,
                                        context=self.context) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code not in refusals:
                raise OSError(f"county answered {exc.code}") from None
            try:
                data = json.load(exc)
            except (ValueError, http.client.HTTPException):
                data = {}
            if not isinstance(data, dict):
                data = {}
            raise CountyRefused(exc.code, error if keep_error else data.get("error", error),
                                data.get("expected_seq"), str(data.get("detail", ""))) from None
        except (ValueError, http.client.HTTPException) as exc:
            raise OSError(f"county answer not understood ({exc})") from None

    def _signed_get(self, path: str, params: dict[str, str], station_id: str,
                    signer: Signer) -> urllib.request.Request:
        """A GET whose method, path and every query parameter the station's key signs."""
        from kiosk.protocol.station_requests import signed_request
        now = dt.datetime.now(dt.UTC).isoformat()
        target, headers = signed_request(station_id, "GET", path, params, now, signer)
        return urllib.request.Request(f"{self.base_url}{target}", headers=headers)
