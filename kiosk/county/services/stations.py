"""The IT officer's station work: enrol, revoke, replace a key, open a sealed backup, and
the health figures the stations page and /metrics show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kiosk.county.domain.clock import Clock, stamp
from kiosk.county.domain.errors import SuccessionRefused, UnknownStation
from kiosk.county.domain.stations import StationHealth
from kiosk.county.domain.successions import Succession, check_successor, pending
from kiosk.county.store.base import Writing
from kiosk.county.store.sql import SqlCountyStore
from kiosk.county.store.station_backup import backup_station_id
from kiosk.domain.events import GENESIS_HASH
from kiosk.errors import KeyFileError
from kiosk.keys import StationKey
from kiosk.protocol.sealed import BACKUP_LABEL, RESTORE_LABEL, bundle, open_sealed, seal_to_ed25519
from kiosk.protocol.succession import sign_succession, succession_body
from kiosk.protocol.sync import ack_body, sign_ack

REVIEW = "station revoked: after its last trusted acknowledgement, for review"


@dataclass(frozen=True)
class Revoked:
    at: str
    flagged: list[int]  # seqs after the last trusted acknowledgement, kept back for review


class Stations:
    """``key`` (the county key) signs successions and heads; enrolling and revoking need none."""

    def __init__(self, store: SqlCountyStore, key: StationKey | None, clock: Clock):
        self.store, self._county_key, self.clock = store, key, clock

    @property
    def key(self) -> StationKey:
        if self._county_key is None:
            raise KeyFileError("this needs the county key (kiosk-county init writes it)")
        return self._county_key

    def enroll(self, station_id: str, public_key: str) -> None:
        """Enrol a station's key (or a new key for it; clears a revocation)."""
        self.store.enroll(station_id, public_key, stamp(self.clock.now()))

    def revoke(self, station_id: str, trusted_seq: int | None = None) -> Revoked:
        """Its pushes are refused, the roster serves none of its entries from now on, and
        those after ``trusted_seq`` (default: everything it pushed is trusted) are kept back
        for review."""
        at = stamp(self.clock.now())

        def revoke(tx: Writing) -> list[int]:
            if tx.station(station_id) is None:
                raise UnknownStation(f"no station {station_id!r}")
            head = tx.head(station_id).seq
            trusted = head if trusted_seq is None else min(trusted_seq, head)
            tx.revoke(station_id, at, trusted)
            flagged = tx.seqs_after(station_id, trusted)
            for seq, type_ in flagged:
                tx.keep_back(station_id, seq, type_, REVIEW, at)
            return [seq for seq, _type in flagged]
        return Revoked(at, self.store.write(revoke))

    def replace_key(self, station_id: str, public_key: str) -> dict[str, Any]:
        """Enrol ``public_key`` as the successor of the station's chain key and sign it; an
        earlier pending successor (a new card that died too before its restore) is dropped."""
        at = stamp(self.clock.now())

        def replace(tx: Writing) -> dict[str, Any]:
            previous = check_successor(tx.station(station_id), station_id,
                                       tx.successions(station_id), public_key)
            tx.drop_pending_successions(station_id)
            signed = sign_succession(succession_body(station_id, previous, public_key, at),
                                     self.key)
            tx.add_succession(station_id, Succession(public_key, previous, at,
                                                     signed["signature"], None))
            tx.set_key(station_id, public_key)
            return signed
        return self.store.write(replace)

    def pending_succession(self, station_id: str) -> dict[str, Any] | None:
        station = self.store.station(station_id)
        if station is None:
            return None
        return pending(self.store.successions(station_id), station_id, station.public_key)

    def signed_head(self, station_id: str) -> tuple[int, dict[str, Any]]:
        """The station's highest stored seq, and the county's signed acknowledgement of it."""
        head_seq = self.store.head_of(station_id)
        last = self.store.events(station_id, head_seq - 1, 1) if head_seq else []
        body = ack_body(station_id, head_seq, last[0].hash if last else GENESIS_HASH,
                        stamp(self.clock.now()))
        return head_seq, sign_ack(body, self.key)

    def open_backup(self, blob: bytes, max_bytes: int | None = None) -> tuple[str, bytes]:
        """A station's sealed backup (kiosk backup) opened in memory with the county key and
        sealed again, with the signed succession and head, to the successor key that
        `kiosk-county replace` enrolled: (station id, the new sealed file). The file is a
        stranger's until then: it inflates within kiosk.protocol.sealed's bound
        (``max_bytes``, if given) and its database must be exactly a station's before a row
        of it is read (kiosk.store.untrusted)."""
        database = open_sealed(blob, self.key.x25519(), BACKUP_LABEL, max_bytes)
        station_id = backup_station_id(database)
        succession = self.pending_succession(station_id)
        station = self.store.station(station_id)
        if succession is None or station is None:
            raise SuccessionRefused(f"no pending succession for {station_id!r}: run "
                                    "kiosk-county replace --station ID --pubkey KEY first")
        _seq, head = self.signed_head(station_id)
        sealed = seal_to_ed25519(bundle(database, succession, head), station.public_key,
                                 RESTORE_LABEL)
        return station_id, sealed

    def health(self) -> list[StationHealth]:
        return [StationHealth(s, self.store.head_of(s.id), self.store.fork_count(s.id))
                for s in self.store.stations()]

    def received_per_day(self, days: int = 30) -> list[tuple[str, int]]:
        """Events received per UTC day, the last ``days`` days, oldest first."""
        start = self.clock.now().astimezone(dt.UTC).date() - dt.timedelta(days=days - 1)
        counts = self.store.received_per_day(start.isoformat())
        dates = [(start + dt.timedelta(days=n)).isoformat() for n in range(days)]
        return [(date, counts.get(date, 0)) for date in dates]
