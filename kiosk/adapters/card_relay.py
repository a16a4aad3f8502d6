"""The county's half of another township's card authentication, over HTTP
(kiosk.protocol.card_relay). A card is in the reader's field meanwhile, so the wait is short:
without an answer in ``timeout`` seconds the card is an unverified visitor (OSError), an answer
cut short (http.client's IncompleteRead) included."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from kiosk.adapters.card_access import CardAccess
from kiosk.config.loader import Config
from kiosk.domain.events import Signer
from kiosk.protocol.card_relay import BEGIN, FINISH, request_headers
from kiosk.protocol.desfire import Ev2Failed, Session

TIMEOUT = 2.0


class HttpCardRelay:
    def __init__(self, base_url: str, station_id: str, signer: Signer, ca_bundle: str = "",
                 timeout: float = TIMEOUT):
        parts = urlsplit(base_url)
        if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("county.url must use https:// (plain http only to loopback)")
        self.base_url, self.station_id, self.signer = base_url.rstrip("/"), station_id, signer
        self.timeout = timeout
        self.context = (ssl.create_default_context(cafile=ca_bundle or None)
                        if parts.scheme == "https" else None)

    def _post(self, path: str, data: dict) -> dict:
        body = json.dumps(data).encode()
        now = dt.datetime.now(dt.UTC).isoformat()
        request = urllib.request.Request(
            self.base_url + path, data=body, method="POST",
            headers=request_headers(self.station_id, now, path, body, self.signer))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout,
                                        context=self.context) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                reason = json.load(exc).get("error", "")
            except ValueError:
                reason = ""
            if reason == "not_authentic":
                raise Ev2Failed("the county found the card's answer wrong") from None
            raise OSError(f"county answered {exc.code} {reason}") from None
        except (ValueError, http.client.HTTPException) as exc:
            raise OSError(f"county answer not understood ({exc})") from None

    def begin(self, township: str, version: int, uid: bytes, key_no: int,
              enc_rnd_b: bytes) -> tuple[str, bytes]:
        data = self._post(BEGIN, {"township": township, "version": version, "uid": uid.hex(),
                                  "key_no": key_no, "enc_rnd_b": enc_rnd_b.hex()})
        try:
            return str(data["token"]), bytes.fromhex(data["answer"])
        except (KeyError, TypeError, ValueError) as exc:
            raise OSError(f"county answer not understood ({exc})") from None

    def finish(self, token: str, card_answer: bytes) -> Session:
        data = self._post(FINISH, {"token": token, "card_answer": card_answer.hex()})
        try:
            return Session(bytes.fromhex(data["ti"]), bytes.fromhex(data["enc"]),
                           bytes.fromhex(data["mac"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise OSError(f"county answer not understood ({exc})") from None


def relay_for(url: str, ca_bundle: str, station_id: str, signer: Signer) -> HttpCardRelay | None:
    """The relay when the station has a county, else None (cards of other townships are then
    unverified visitors)."""
    return HttpCardRelay(url, station_id, signer, ca_bundle) if url else None


def station_card_access(config: Config, signer: Signer) -> CardAccess:
    """The station's card keys (its card key file) and its county relay, for the readers and
    issuance: ConfigError naming cards.desfire_key_file if that file is bad."""
    relay = relay_for(config.county.url, config.county.ca_bundle, config.station.id, signer)
    return CardAccess.from_config(config.cards, relay)
