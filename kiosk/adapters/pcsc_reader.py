"""Card reader adapter over PC/SC (pyscard's low-level scard API).

pyscard's CardMonitor and ReaderMonitor threads die for good on a pcscd
restart, so this adapter runs its own loop around SCardGetStatusChange under a
supervisor: it watches every reader (and the PnP pseudo-reader for plug and
unplug), re-establishes the context with backoff while pcscd is away, beats a
heartbeat each pass, and is restarted by ``ensure_running`` if it ever dies.
A card counts once per insertion (the event counter in the upper 16 bits of
the reader state tells a swap between polls); a card pulled away mid-read
becomes CardReadFailed("removed"), never a partial tap.
"""

from __future__ import annotations

import logging
import threading
import time

from kiosk.adapters.backoff import Backoff
from kiosk.adapters.card_access import CardAccess
from kiosk.adapters.card_io import CardRead, read_card
from kiosk.adapters.pcsc_io import CardGone, personalise_on_reader, transmitter, write_on_reader
from kiosk.config.cards import CardKeys
from kiosk.domain.card_auth import Personalised
from kiosk.domain.cards import VALID_UID_LENGTHS
from kiosk.errors import CardIOError, KioskError
from kiosk.ports import CardReadFailed, CardTapped, ReaderEvent, ReaderEvents, ReaderHealth, ReaderState, ReaderStatus

log = logging.getLogger(__name__)
PNP = "\\\\?PnP?\\Notification"
GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
POLL_MS = 1000


def _u32(value: int) -> int:
    return value & 0xFFFFFFFF


class ServiceUnavailable(KioskError):
    """pcscd is not running or went away; the context must be rebuilt."""


class PcscCardReader:
    def __init__(self, reader_filter: tuple[str, ...] = (),
                 keys: CardAccess | CardKeys = CardAccess()):
        from smartcard import scard  # imported here: only this adapter needs pyscard
        self.sc = scard
        self.reader_filter, self.access = reader_filter, CardAccess.of(keys)
        self.events = ReaderEvents()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: int | None = None  # the loop's PC/SC context while it has one
        self._heartbeat = time.monotonic()
        self._readers: tuple[str, ...] = ()
        self._state, self._detail = ReaderState.STARTING, ""
        codes = {name: _u32(getattr(scard, name)) for name in (
            "SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED", "SCARD_E_NO_READERS_AVAILABLE",
            "SCARD_E_TIMEOUT", "SCARD_E_UNKNOWN_READER", "SCARD_W_REMOVED_CARD",
            "SCARD_E_NO_SMARTCARD", "SCARD_W_UNRESPONSIVE_CARD", "SCARD_W_UNPOWERED_CARD",
            "SCARD_E_READER_UNAVAILABLE", "SCARD_E_INVALID_HANDLE", "SCARD_E_NOT_TRANSACTED",
            "SCARD_W_RESET_CARD", "SCARD_E_COMM_DATA_LOST")}
        self.codes = codes
        self.service_gone = {codes["SCARD_E_NO_SERVICE"], codes["SCARD_E_SERVICE_STOPPED"],
                             codes["SCARD_E_INVALID_HANDLE"]}
        self.card_gone = {codes[n] for n in ("SCARD_W_REMOVED_CARD", "SCARD_E_NO_SMARTCARD",
                                             "SCARD_W_UNRESPONSIVE_CARD", "SCARD_W_UNPOWERED_CARD",
                                             "SCARD_E_NOT_TRANSACTED", "SCARD_W_RESET_CARD",
                                             "SCARD_E_COMM_DATA_LOST",
                                             "SCARD_E_READER_UNAVAILABLE")}

    # -- port ---------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._supervise, name="pcsc-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        context = self._context
        if context is not None:  # end the loop's wait in SCardGetStatusChange now, not in 1 s
            self.sc.SCardCancel(context)
        if self._thread:
            self._thread.join(timeout=POLL_MS / 1000 + 2)

    def ensure_running(self) -> bool:
        """Restart the loop thread if it died; return whether it had to."""
        if self._stop.is_set() or (self._thread and self._thread.is_alive()):
            return False
        log.error("card reader loop had stopped; restarting it")
        self.start()
        return True

    def next_event(self, timeout: float) -> ReaderEvent | None:
        return self.events.next(timeout)

    def health(self) -> ReaderHealth:
        alive = bool(self._thread and self._thread.is_alive())
        return ReaderHealth(self._state, alive, time.monotonic() - self._heartbeat,
                            self._readers, self._detail)

    # -- loop ---------------------------------------------------------------
    def _set_state(self, state: ReaderState, readers: tuple[str, ...] = (), detail: str = "") -> None:
        if (state, readers) != (self._state, self._readers):
            log.info("card reader: %s %s %s", state.value, ", ".join(readers), detail)
            self._state, self._readers, self._detail = state, readers, detail
            self.events.put(ReaderStatus(state, detail, readers))

    def _supervise(self) -> None:
        backoff = Backoff(initial=0.25, maximum=5.0)
        while not self._stop.is_set():
            self._heartbeat = time.monotonic()
            try:
                self._session(backoff)
            except ServiceUnavailable as exc:
                self._set_state(ReaderState.SERVICE_UNAVAILABLE, (), str(exc))
            except Exception:  # the loop must outlive any surprise; say so and go on
                log.exception("card reader loop error")
                self._set_state(ReaderState.SERVICE_UNAVAILABLE, (), "internal error")
            self._stop.wait(backoff.next())

    def _session(self, backoff: Backoff) -> None:
        sc = self.sc
        hr, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
        if _u32(hr) != 0:
            raise ServiceUnavailable(f"pcscd not reachable ({sc.SCardGetErrorMessage(hr)})")
        self._context = ctx
        try:
            self._watch(ctx, backoff)
        finally:
            self._context = None
            sc.SCardReleaseContext(ctx)

    def _list_readers(self, ctx: int) -> tuple[str, ...]:
        hr, readers = self.sc.SCardListReaders(ctx, [])
        hr = _u32(hr)
        if hr == self.codes["SCARD_E_NO_READERS_AVAILABLE"]:
            return ()
        if hr != 0:
            raise ServiceUnavailable(f"cannot list readers ({self.sc.SCardGetErrorMessage(hr)})")
        if self.reader_filter:
            readers = [r for r in readers if any(f in r for f in self.reader_filter)]
        return tuple(readers)

    def _watch(self, ctx: int, backoff: Backoff) -> None:
        sc = self.sc
        known: dict[str, int] = {}
        pnp_state = sc.SCARD_STATE_UNAWARE
        readers = self._list_readers(ctx)
        while not self._stop.is_set():
            self._heartbeat = time.monotonic()
            self._set_state(ReaderState.READY if readers else ReaderState.NO_READER, readers)
            query = [(PNP, pnp_state)] + [(r, known.get(r, sc.SCARD_STATE_UNAWARE)) for r in readers]
            hr, result = sc.SCardGetStatusChange(ctx, POLL_MS, query)
            hr = _u32(hr)
            detected = time.monotonic_ns()
            if self._stop.is_set():  # stop() cancelled the wait: no reader state to report
                return
            if hr in self.service_gone:
                raise ServiceUnavailable(f"reader service stopped ({sc.SCardGetErrorMessage(hr)})")
            if hr in (self.codes["SCARD_E_UNKNOWN_READER"], self.codes["SCARD_E_READER_UNAVAILABLE"]):
                readers, known = self._list_readers(ctx), {}
                continue
            backoff.reset()
            if hr == self.codes["SCARD_E_TIMEOUT"]:
                continue
            if hr != 0:
                raise ServiceUnavailable(f"status query failed ({sc.SCardGetErrorMessage(hr)})")
            for name, state, atr in result:
                if name == PNP:
                    if state & sc.SCARD_STATE_CHANGED:
                        readers = self._list_readers(ctx)
                        known = {r: s for r, s in known.items() if r in readers}
                    pnp_state = state & ~sc.SCARD_STATE_CHANGED
                    continue
                self._on_reader_state(ctx, name, state, known.get(name), detected, bytes(atr))
                known[name] = state & ~sc.SCARD_STATE_CHANGED

    def _on_reader_state(self, ctx: int, name: str, state: int, before: int | None,
                         detected: int, atr: bytes) -> None:
        sc = self.sc
        present = bool(state & sc.SCARD_STATE_PRESENT) and not state & sc.SCARD_STATE_MUTE
        was_present = before is not None and bool(before & sc.SCARD_STATE_PRESENT)
        swapped = before is not None and (state >> 16) != (before >> 16) and was_present
        if present and (not was_present or swapped) and not state & sc.SCARD_STATE_EXCLUSIVE:
            self.events.put(self._read_card(ctx, name, detected, atr))

    def _read_card(self, ctx: int, name: str, detected: int,
                   atr: bytes) -> CardTapped | CardReadFailed:
        """UID first (every card has one), then the kiosk record if the card holds one."""
        sc = self.sc
        hr, card, protocol = sc.SCardConnect(ctx, name, sc.SCARD_SHARE_SHARED,
                                             sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1)
        if _u32(hr) != 0:
            return self._failure(name, _u32(hr), "connect")
        try:
            hr, response = sc.SCardTransmit(card, protocol, GET_UID)
            if _u32(hr) != 0:
                return self._failure(name, _u32(hr), "read UID")
            if len(response) < 2:  # no status word: the card left the field before answering
                return CardReadFailed(name, "removed", "read UID: no answer from the card")
            data, sw = bytes(response[:-2]), bytes(response[-2:])
            if sw != b"\x90\x00":
                return CardReadFailed(name, "unsupported",
                                      f"card answered {sw.hex().upper()} to GET UID")
            if len(data) not in VALID_UID_LENGTHS:
                return CardReadFailed(name, "unsupported", f"UID of {len(data)} bytes")
            try:
                read = read_card(self._transmitter(card, protocol), atr, data, self.access)
            except CardGone as gone:
                return self._failure(name, gone.hr, "read record")
            except CardIOError as exc:
                if not exc.sw:
                    return CardReadFailed(name, "removed", f"read record: {exc}")
                log.info("card on %s: %s; taken as UID-only", name, exc)
                read = CardRead("uid", data)
        finally:
            sc.SCardDisconnect(card, sc.SCARD_LEAVE_CARD)
        return CardTapped(read.uid, name, detected, time.monotonic_ns() - detected, read.kind,
                          read.record, read.proof)

    def _transmitter(self, card: int, protocol: int):
        return transmitter(self.sc, card, protocol)

    def personalise(self, reader: str, uid: bytes, kind: str) -> Personalised:
        """Give the card on ``reader`` its keys (issuance, before its record is signed)."""
        return personalise_on_reader(self.sc, self.access, reader, uid, kind)

    def write_record(self, reader: str, uid: bytes, kind: str, framed: bytes) -> bytes | None:
        """Write a framed record onto the card on ``reader``, read it back and have it
        authenticate once (issuance)."""
        return write_on_reader(self.sc, self.access, reader, uid, kind, framed)

    def _failure(self, name: str, hr: int, step: str) -> CardReadFailed:
        message = self.sc.SCardGetErrorMessage(hr)
        if hr in self.card_gone:
            return CardReadFailed(name, "removed", f"{step}: {message}")
        return CardReadFailed(name, "io", f"{step}: {message}")
