"""The county's service reports, as data (after DHIS2's program indicators).

Each indicator says which events it reads, which of them count, which date decides the month,
whose station a count belongs to, how the county row is formed and how it is broken down.
The read models (kiosk/county/projections/) count exactly this, every surface publishes it
through one suppressed table (kiosk/county/domain/published.py), and docs/reports.md is
generated from this module (``python -m kiosk.county.export.reports_doc``; a test keeps the
two identical).

Counts only: no indicator counts declines, ranks stations, sets a target or a quota, or
lists anyone. Titles are English msgids; people read them as "中文 / English".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

# How the county row is formed from the station rows.
SUM = "sum"  # the county row is the sum of the station rows
DISTINCT = "distinct"  # counted again over the county: a resident served at two stations is one
# Which columns an indicator has.
FLOW = "flow"  # months, quarters and the year; a quarter is the sum of its months
MONTHLY = "monthly"  # months only: a stock at the month's end, or a distinct count per month

COUNTY = ""  # the county's row in every table (a station id is never empty)
ALL = "all"  # the total over a breakdown's categories


class CountKey(NamedTuple):
    """One monthly count the read models keep: a station ("" for a county-wide distinct
    count), an indicator, its plan, item and category ("" where unused), a month."""

    station_id: str
    indicator: str
    plan: str
    item: str
    category: str
    month: str


@dataclass(frozen=True)
class Category:
    key: str
    title: str  # msgid


@dataclass(frozen=True)
class Indicator:
    key: str
    title: str  # msgid
    counts: str  # what one count is
    events: tuple[str, ...]  # the event types read
    filter: str  # which of them count
    month: str  # which date decides the month
    station: str  # whose count it is
    county: str  # SUM or DISTINCT
    periods: str  # FLOW or MONTHLY
    per: str = ""  # "", "plan" or "item": one table per care plan, or per plan item
    breakdown: str = ""  # the breakdown's name, "" for none
    categories: tuple[Category, ...] = ()  # its categories ((): the plans, as they occur)
    total: Category | None = None  # the breakdown's total, a category of its own


OUTCOMES = (Category("completed", "Completed"),
            Category("completed_referred", "Completed, referred on"),
            Category("partly_done", "Partly done"))
STATUSES = (Category("within", "Done within the window"), Category("late", "Done late"),
            Category("open", "Still open"))

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "checkins", "Check-ins", "one check-in (one resident, one station, one local day)",
        ("checkin.created",), "every one", "the check-in's local day (`local_date`)",
        "the station that checked her in", SUM, FLOW),
    Indicator(
        "residents_served", "Residents served",
        "one resident who checked in at least once in the month",
        ("checkin.created",), "distinct `resident_id` in the month",
        "the check-in's local day (`local_date`)", "each station she checked in at",
        DISTINCT, MONTHLY),
    Indicator(
        "registrations", "New registrations", "one resident registered",
        ("resident.registered",), "every one", "the event's wall time, in the report's zone",
        "the station that registered her", SUM, FLOW),
    Indicator(
        "consent_in_force", "Residents with consent in force",
        "one resident whose consent was in force at the end of the month",
        ("resident.registered", "consent.given", "consent.withdrawn"),
        "her last `consent.given` or `consent.withdrawn` up to the month's end (by wall "
        "time, then station and seq) is a `consent.given`",
        "each change's wall time, in the report's zone; the count is a stock at the month's end",
        "her home station (the one that registered her)", SUM, MONTHLY),
    Indicator(
        "enrolments", "Enrolments started", "one enrolment in a care plan",
        ("care.enrolled",), "every one", "the event's wall time, in the report's zone",
        "the station that enrolled her", SUM, FLOW, breakdown="plan",
        total=Category(ALL, "All plans")),
    Indicator(
        "visits", "Visits logged", "one visit (a correction replaces the visit it corrects)",
        ("visit.logged", "visit.corrected"),
        "every `visit.logged`, with the date and outcome of its latest correction",
        "the visit's date (`visit_date`)", "the station that logged the visit", SUM, FLOW,
        per="plan", breakdown="outcome", categories=OUTCOMES, total=Category(ALL, "All visits")),
    Indicator(
        "windows", "Plan item windows", "one plan item whose window closed in the month",
        ("care.enrolled", "visit.logged", "visit.corrected", "care_item.declined"),
        "every item of every enrolment (its window is in the `care.enrolled` event), except "
        "one she declined and that was never done: her choice is counted nowhere. Done within "
        "the window: a visit dated on or before the window's last day (a visit before the "
        "window opened counts too: the item needs nothing more); done late: after it; still "
        "open: no visit yet",
        "the window's last day (`latest`)", "the station that enrolled her", SUM, FLOW,
        per="item", breakdown="status", categories=STATUSES,
        total=Category("closed", "Windows closed")),
)
BY_KEY = {indicator.key: indicator for indicator in INDICATORS}

FRESHNESS = (
    ("last_sync", "Last sync", "the time of the station's last accepted push, and the days "
     "since (flagged from 2 days)"),
    ("counted", "Events counted in this report", "the station's events the published report "
     "was made from (its read model's position then)"),
    ("stored", "Events stored", "the station's events the county holds (its stored chain head)"),
    ("not_received", "Events not yet received",
     "the station's own head, as its last signed push said, minus the stored head: a low "
     "count beside a large number here is a station that has not synced, not a quiet month"),
)

NEVER = ("No report counts declines, ranks stations, sets targets or quotas, or lists "
         "individuals.")
PRIVACY = (
    "Counts only: never a name, a birth date, a village or any other detail of a resident.",
    "A count of 1 to {small} is shown and exported as \"<{threshold}\" (the threshold, "
    "{threshold} by default, is the county's `reports.threshold`).",
    "In every published group (a row of stations against the county, a month against its "
    "quarter and year, a breakdown against its total) no hidden cell can be worked out from "
    "the others: each hidden cell is a corner of a box of hidden cells that could all move "
    "by one without changing any shown number (the hypercube method of statistical offices). "
    "So a group never holds exactly one hidden cell, and when the hidden cells of a group "
    "add up to less than the threshold the next-smallest cells are hidden too. Nor can a "
    "hidden cell be worked out from the marks: where what the marks say (\"<{threshold}\": "
    "0 to {small}, \"*\": {threshold} or more) and the shown totals would leave a hidden cell "
    "one possible value, more cells are hidden.",
    "A cell hidden only to protect another shows \"<{threshold}\" when it is below the "
    "threshold (0 included) and \"*\" otherwise. There are no running or year-to-date totals "
    "apart from the year column, which is checked with its months like any other total.",
    "The overview, the station pages, the CSV and the printed summary all show one "
    "computation, so no surface shows a number another hides.",
)


def plan_title(plan_id: str, names: dict[str, str]) -> str:
    """A plan's name from the county's plan file (``names``), or its id when the file does
    not know it (a station may run plans of its own)."""
    return names.get(plan_id, plan_id)


def item_title(plan_id: str, code: str, names: dict[tuple[str, str], str]) -> str:
    return names.get((plan_id, code), code)
