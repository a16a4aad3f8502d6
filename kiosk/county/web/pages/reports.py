"""The officer's service reports: the county overview, one page per station, the CSV of each
and a station's printable monthly summary. All of them show the one published report of the
year (kiosk/county/services/reports.py), so a number hidden on one is hidden on all; each
view and export is an entry in the audit trail (kiosk/county/services/report_views.py)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from kiosk.county.domain.periods import month_now, months_of_year
from kiosk.county.domain.reports import COUNTY, NEVER
from kiosk.county.export import report_pages
from kiosk.county.export.csv_report import report_csv
from kiosk.county.export.summary import monthly_summary
from kiosk.county.export.tables import local_time
from kiosk.county.services.report_views import ReportView
from kiosk.county.web import params
from kiosk.county.web.pages import services
from kiosk.county.web.params import BadParameter
from kiosk.i18n import bilingual

bp = Blueprint("reports", __name__)
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _year() -> int:
    """The year asked for (default: this year): a year that is not a whole number 1 to 9999
    is 400 (kiosk/county/web/params.py), one the county has no report for is 404."""
    asked = params.number("year", 0, maximum=9999, minimum=1)
    if not asked:
        return services().reports.current_year()
    if asked not in services().report_views.years():
        abort(404)
    return asked


def _open(subject: str, export: str = "", station: str | None = None) -> ReportView:
    return services().report_views.open(current_user.user, _year(), subject,
                                        request.remote_addr or "", export, station)


def _station(view: ReportView, station_id: str) -> None:
    if station_id not in view.report.stations:
        abort(404)


def _page(view: ReportView, row: str) -> dict:
    county = services()
    timezone = county.reports.settings.timezone
    # the county page: every series of the county, and the charted ones of every station
    by_station = report_pages.sections(view.report, view.report.rows, report_pages.CHARTED) \
        if row == COUNTY else []
    links = {s: url_for("reports.station", station_id=s, year=view.year) for s in view.report.stations}
    return {
        "view": view, "row": row, "year": view.year,
        "charts": [(Markup(caption), Markup(svg))
                   for caption, svg in report_pages.charts(view.report, row)],
        "sections": [(s.key, Markup(report_pages.both(s.title)), Markup(s.html))
                     for s in report_pages.sections(view.report, (row,))],
        "by_station": [(s.key, Markup(report_pages.both(s.title)), Markup(s.html))
                       for s in by_station],
        "freshness": Markup(report_pages.freshness_table(view.report, timezone, county.clock.now(),
                                                         links)),
        "as_of": local_time(view.published_at, timezone), "timezone": timezone,
        "legend": Markup(report_pages.both(bilingual(
            "<{threshold}: fewer than {threshold}; *: hidden so that a small count cannot be "
            "worked out", threshold=view.report.threshold))),
        "never": Markup(report_pages.both(bilingual(NEVER))),
    }


@bp.get("/reports")
def overview():
    view = _open("county")
    return render_template("county_report.html", **_page(view, COUNTY),
                           csv=url_for("reports.county_csv", year=view.year))


@bp.get("/reports/stations/<station_id>")
def station(station_id: str):
    view = _open(f"station {station_id[:64]}", station=station_id)
    _station(view, station_id)
    timezone = services().reports.settings.timezone
    now = month_now(services().clock.now(), timezone)
    months = [m for m in months_of_year(view.year) if m <= now]
    return render_template("county_report.html", **_page(view, station_id),
                           csv=url_for("reports.station_csv", station_id=station_id, year=view.year),
                           summaries=[(m, url_for("reports.summary", station_id=station_id,
                                                  year=view.year, month=m)) for m in months])


def _csv(data: bytes, name: str) -> Response:
    return Response(data, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.get("/reports/export.csv")
def county_csv():
    view = _open("county", export="csv")
    return _csv(report_csv(view.report), f"county-report-{view.year}.csv")


@bp.get("/reports/stations/<station_id>/export.csv")
def station_csv(station_id: str):
    view = _open(f"station {station_id[:64]}", export="csv")
    _station(view, station_id)
    return _csv(report_csv(view.report, (station_id,)), f"report-{station_id}-{view.year}.csv")


@bp.get("/reports/stations/<station_id>/summary")
def summary(station_id: str):
    month = params.text("month", "")
    if not MONTH.match(month):
        raise BadParameter("month", "must be a month of the report's year, as YYYY-MM")
    view = _open(f"station {station_id[:64]} {month}", export="summary", station=station_id)
    _station(view, station_id)
    if not month.startswith(str(view.year)):
        abort(404)
    timezone = services().reports.settings.timezone
    as_of = f"{bilingual('As of')} {local_time(view.published_at, timezone)}"
    return Response(monthly_summary(view.report, station_id, month, generated=as_of,
                                    timezone=timezone),
                    mimetype="text/html", headers={"Cache-Control": "no-store"})
