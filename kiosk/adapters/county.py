"""The county link: HTTP push of signed events and the roster pull (docs/sync-protocol.md).

``push`` returns the county's acknowledgement (the sync worker checks its signature)
or raises ``CountyRefused`` for an answer the station must act on (409 gap or fork,
400, 403); network trouble raises OSError and the worker retries later.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import urllib.error
import urllib.parse
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
        try:
            with urllib.request.urlopen(request, timeout=self.timeout,
                                        context=self.context) as response:
                return ack_from(json.load(response))
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

    def roster(self, station_id: str, after: str, signer: Signer) -> dict:
        """One page of the roster feed after ``after`` (the per-station cursor, version 2;
        digits alone: a version-1 cursor the county converts), asked for with the station's
        signature."""
        from kiosk.protocol.roster import POSITIONS_VERSION, request_message
        now = dt.datetime.now(dt.UTC).isoformat()
        signature = signer.sign(request_message(station_id, after, now)).hex()
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/roster?after={urllib.parse.quote(after, safe='')}"
            f"&v={POSITIONS_VERSION}",
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

    def restore_page(self, station_id: str, after: int, signer: Signer, limit: int = 2000) -> dict:
        """One page of the station's chain as the county stores it, for the successor key a
        ``kiosk-county replace`` enrolled (kiosk restore --from-county); the county's refusal
        (403 no_succession, ...) raises CountyRefused."""
        from kiosk.protocol.succession import restore_message
        now = dt.datetime.now(dt.UTC).isoformat()
        signature = signer.sign(restore_message(station_id, after, now)).hex()
        request = urllib.request.Request(
            f"{self.base_url}/api/v1/stations/{station_id}/restore?after={after}&limit={limit}",
            headers={"X-Station-Time": now, "X-Station-Signature": signature})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout,
                                        context=self.context) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                data = json.load(exc)
            except ValueError:
                data = {}
            if exc.code in (400, 403):
                raise CountyRefused(exc.code, data.get("error", "refused"),
                                    detail=str(data.get("detail", ""))) from None
            raise OSError(f"county answered {exc.code}") from None
        except ValueError as exc:
            raise OSError(f"county answer not understood ({exc})") from None
