"""The published service reports: one suppressed report per year, made from the read models
when their counts change and kept in the store, so that every page, CSV and printed summary,
in every process, shows the same numbers (the differencing guarantee holds only within one
computation; kiosk/county/domain/suppression.py).

Suppressing a year of 100 stations with every plan item takes seconds to tens of seconds
(bench/county_reports.py), far beyond a page's budget. So with ``background`` (``kiosk-county
serve``) a worker thread publishes: after each accepted batch (``changed``, debounced by
``quiet_s``, at most ``max_wait_s`` late) and every ``poll_s`` (counts another process
wrote), it publishes each year whose counts moved; pages serve the last published report and
say when it was made. Without ``background`` (tests, the command line) a request publishes
when the stored report is not current."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kiosk.county.domain.clock import Clock, parse_stamp, stamp
from kiosk.county.domain.periods import DEFAULT_TIMEZONE, month_now
from kiosk.county.domain.published import DEFAULT_THRESHOLD, Freshness, PublishedReport, publish
from kiosk.county.domain.published_codec import decode, encode
from kiosk.county.domain.report_rows import REBUILDING, TIMEZONE
from kiosk.county.domain.suppression import SUPPRESSION_RULES
from kiosk.county.projections import Projections
from kiosk.county.store.sql import SqlCountyStore
from kiosk.errors import ConfigError

log = logging.getLogger("kiosk.county")
CONSENT = "consent_in_force"
REBUILD_HOLD = dt.timedelta(hours=6)  # a rebuild that died says "rebuilding" no longer than this


@dataclass(frozen=True)
class ReportSettings:
    threshold: int = DEFAULT_THRESHOLD
    timezone: str = DEFAULT_TIMEZONE
    plans: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (plan, item codes), the file's order
    plan_names: Mapping[str, str] = field(default_factory=dict)
    item_names: Mapping[tuple[str, str], str] = field(default_factory=dict)
    background: bool = False  # publish in a worker thread (serve) instead of on request
    quiet_s: float = 5.0      # a worker publishes once no batch came for this long...
    max_wait_s: float = 60.0  # ...or this long after the first change, whichever comes first
    poll_s: float = 30.0      # and looks for counts written by another process this often


@dataclass(frozen=True)
class Published:
    """A year's published report, when it was made and what it counts."""

    report: PublishedReport
    fingerprint: str
    published_at: str


class ReportService:
    def __init__(self, store: SqlCountyStore, clock: Clock, settings: ReportSettings,
                 catch_up: Callable[[], int] | None = None):
        self.store, self.clock, self.settings = store, clock, settings
        self._catch_up = catch_up
        self._cache: dict[int, Published] = {}
        self._memo: dict[int, dict] = {}  # each year's tables' suppressions, by their counts
        self._publishing = threading.Lock()
        self._wake, self._stop = threading.Event(), threading.Event()
        self._worker: threading.Thread | None = None

    def check_timezone(self) -> None:
        """The read models count months in one time zone: a county.toml that names another
        since they were built needs a rebuild first (ConfigError says so). A county whose
        read models never said records the configured one."""
        kept = self.store.reports().report_state(TIMEZONE)
        wanted = self.settings.timezone
        if kept is None:
            self.store.write(lambda tx: tx.set_report_state(TIMEZONE, wanted))
        elif kept != wanted:
            raise ConfigError("reports.timezone", f"the reports were counted in {kept}, the "
                              f"config now says {wanted}",
                              f"run kiosk-county rebuild to count them in {wanted}, or set "
                              f'timezone = "{kept}" again')

    # -- what pages ask -------------------------------------------------------------------
    def current_year(self) -> int:
        return int(month_now(self.clock.now(), self.settings.timezone)[:4])

    def years(self) -> list[int]:
        """Every year with counts, and the current one, newest first."""
        found = {int(y) for y in self.store.reports().report_versions()}
        return sorted(found | {self.current_year()}, reverse=True)

    def published(self, year: int) -> Published:
        """The year's last published report (made now if there is none, or, without a
        worker, if the counts moved since)."""
        stored = self.store.reports().published_stamp(year)
        if stored is None or (not self.settings.background and not self.rebuilding()
                              and stored[0] != self.fingerprint(year)):
            return self.publish(year)
        cached = self._cache.get(year)
        if cached is None or (cached.fingerprint, cached.published_at) != stored:
            cached = self._load(year) or self.publish(year)
        return cached

    def freshness(self, published: Published, only: str | None = None) -> tuple[Freshness, ...]:
        """Each station of the report (or ``only`` that one): its last sync, events stored
        and not yet received (read now), and the events the report counts (its read model's
        position then)."""
        report = published.report
        shown = report.stations if only is None else (only,)
        found = []
        for station in self.store.stations():
            if station.id in shown:
                found.append(Freshness(station.id, station.last_sync, self.store.head_of(station.id),
                                       station.reported_head, report.counted.get(station.id, 0)))
        return tuple(found)

    def with_freshness(self, published: Published, only: str | None = None) -> PublishedReport:
        return dataclasses.replace(published.report, freshness=self.freshness(published, only))

    # -- publishing -----------------------------------------------------------------------
    def fingerprint(self, year: int, versions: Mapping[str, tuple[str, str]] | None = None) -> str:
        """What the year's report depends on: its counts' version, the consent counts of the
        years before it (consent in force is a stock), the stations, the events counted (a
        report says how many of each station's), the settings and the suppression's rules
        (a county that upgrades to stricter rules publishes its reports again)."""
        reads = self.store.reports()
        versions = reads.report_versions() if versions is None else versions
        parts = [versions.get(str(year), ("", ""))[0]]
        parts += [v[1] for y, v in sorted(versions.items()) if y < str(year) and v[1]]
        parts += [s.id for s in self.store.stations()]
        parts += [f"{s}:{n}" for s, n in sorted(reads.report_positions().items())]
        parts += [SUPPRESSION_RULES, str(self.settings.threshold), self.settings.timezone,
                  repr(self.settings.plans), repr(sorted(self.settings.plan_names.items())),
                  repr(sorted(self.settings.item_names.items()))]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]

    def publish(self, year: int) -> Published:
        """Suppress the year's counts now, keep the result in the store and serve it."""
        with self._publishing:
            reads = self.store.reports()
            fingerprint = self.fingerprint(year)
            stored = reads.published_stamp(year)
            if stored is not None and stored[0] == fingerprint:  # another thread just did
                cached = self._cache.get(year)
                if cached is not None and (cached.fingerprint, cached.published_at) == stored:
                    return cached
                loaded = self._load(year)
                if loaded is not None:
                    return loaded
            started = time.monotonic()
            s = self.settings
            memo: dict[tuple, dict[tuple[int, ...], str]] = {}
            counted = reads.report_positions()  # read first: the counts hold at least these
            report = publish(reads.counts(f"{year}-01", f"{year}-12"), year,
                             [station.id for station in self.store.stations()],
                             consent_before=reads.counts_before(CONSENT, f"{year}-01"),
                             threshold=s.threshold, plans=s.plans, plan_names=s.plan_names,
                             item_names=s.item_names, memo=self._memo.get(year), memo_out=memo)
            self._memo[year] = memo
            report = dataclasses.replace(report, counted=counted)
            at = stamp(self.clock.now())
            body = encode(report)
            published = Published(report, fingerprint, at)
            # cached before the stamp is stored (the cache is only served while it matches the
            # stored stamp): a page that reads the new stamp finds this very report, instead of
            # decoding its own copy of it from the store in between
            self._cache[year] = published
            self.store.write(lambda tx: tx.publish_report(year, fingerprint, at, body))
            log.info("report %d published in %.1f s (%d cells)", year,
                     time.monotonic() - started, len(report.cells))
            return published

    def _load(self, year: int) -> Published | None:
        found = self.store.reports().published(year)
        if found is None:
            return None
        fingerprint, at, body = found
        try:
            published = Published(decode(body), fingerprint, at)
        except ValueError:  # an older format: publish again
            return None
        self._cache[year] = published
        return published

    def rebuild(self, projections: Projections) -> tuple[int, list[int]]:
        """Count the read models again from the stored events (kiosk-county rebuild), then
        publish: (events replayed, years published). Meanwhile every process serves the
        reports published before, never one made from half-rebuilt counts."""
        began = stamp(self.clock.now())
        self.store.write(lambda tx: tx.set_report_state(REBUILDING, began))
        try:
            replayed = projections.rebuild(self.store)
        finally:
            self.store.write(lambda tx: tx.set_report_state(REBUILDING, None))
        return replayed, self.refresh()

    def rebuilding(self) -> bool:
        began = parse_stamp(self.store.reports().report_state(REBUILDING))
        return began is not None and self.clock.now() - began < REBUILD_HOLD

    def refresh(self) -> list[int]:
        """Publish every year whose counts moved since its report; the years published
        (none while a rebuild runs)."""
        if self.rebuilding():
            return []
        reads = self.store.reports()
        versions = reads.report_versions()
        done = []
        for year in sorted({int(y) for y in versions} | {self.current_year()}):
            stored = reads.published_stamp(year)
            if stored is None or stored[0] != self.fingerprint(year, versions):
                self.publish(year)
                done.append(year)
        return done

    # -- the worker -----------------------------------------------------------------------
    def changed(self) -> None:
        """A batch changed the read models (BatchIntake calls this after its commit)."""
        self._wake.set()

    def start(self) -> None:
        """Start the worker (``background`` only); again after ``stop`` too."""
        if self._worker is None and self.settings.background:
            self._stop.clear()
            self._worker = threading.Thread(target=self._run, name="report-publisher", daemon=True)
            self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(30)
            self._worker = None

    def _run(self) -> None:
        try:
            if self._catch_up is not None:
                replayed = self._catch_up()
                if replayed:
                    log.info("report read models caught up with %d stored events", replayed)
        except Exception:
            log.exception("report read models could not catch up")
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # a failed publish leaves the last report served; try again later
                log.exception("publishing the reports failed")
            if self._wake.wait(self.settings.poll_s) and not self._stop.is_set():
                self._settle()

    def _settle(self) -> None:
        """Wait until batches stop coming for ``quiet_s`` (at most ``max_wait_s``)."""
        deadline = time.monotonic() + self.settings.max_wait_s
        self._wake.clear()
        while time.monotonic() < deadline and not self._stop.is_set():
            if not self._wake.wait(min(self.settings.quiet_s, max(deadline - time.monotonic(), 0))):
                return
            self._wake.clear()
