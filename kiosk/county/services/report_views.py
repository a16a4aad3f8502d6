"""An officer opening a report: the year's published report with each station's freshness
read now, and an entry in the county's audit trail for every view and export (who, what,
which year and station, from where). The pages call this and nothing else for a report."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.county.domain.published import PublishedReport
from kiosk.county.domain.users import User
from kiosk.county.services.audit import Audit
from kiosk.county.services.reports import ReportService

VIEWED, EXPORTED = "report.viewed", "report.exported"


@dataclass(frozen=True)
class ReportView:
    report: PublishedReport  # with freshness
    year: int
    years: tuple[int, ...]
    published_at: str
    fingerprint: str


class ReportViews:
    def __init__(self, reports: ReportService, audit: Audit):
        self.reports, self.audit = reports, audit

    def years(self) -> list[int]:
        return self.reports.years()

    def open(self, user: User, year: int, subject: str, address: str,
             export: str = "", station: str | None = None) -> ReportView:
        """The year's report for ``user`` (``export``: "csv", "summary", ... when it leaves
        the page; ``station``: the freshness of that one station only), recorded in the
        audit trail."""
        published = self.reports.published(year)
        self.audit.record(user, EXPORTED if export else VIEWED, f"{year} {subject}".strip(),
                          address, export)
        return ReportView(self.reports.with_freshness(published, station), year,
                          tuple(self.reports.years()), published.published_at,
                          published.fingerprint)
