"""What the station says about each tap and reader change: a console line or JSON."""

from __future__ import annotations

import json

from kiosk.domain.outcomes import (
    CardIssued,
    CardRefused,
    CheckedIn,
    IssueFailed,
    ResidentAtDesk,
    TechnicianCard,
    UnknownCard,
    VisitorCard,
)
from kiosk.i18n import bilingual
from kiosk.ports import ReaderState, ReaderStatus
from kiosk.station.loop import TapReport


def report_json(report: TapReport) -> str:
    """One line per tap for tools and tests (no names, no UIDs)."""
    outcome = report.outcome
    data: dict = {"kind": outcome.kind if outcome else "error", "reader": report.reader,
                  "detect_to_commit_ms": round(report.detect_to_commit_ms, 3),
                  "read_ms": round(report.read_ms, 3),
                  "detected_epoch_ms": round(report.detected_epoch_ms, 3)}
    if report.at_desk:
        data["at_desk"] = True
    if isinstance(outcome, CheckedIn):
        data.update(resident_id=outcome.resident_id, queue_no=outcome.queue_no,
                    repeat=outcome.repeat, event_seq=outcome.event_seq,
                    checkin_id=outcome.checkin_id, local_date=outcome.local_date)
        if not outcome.verified:
            data["verified"] = False
        if outcome.visitor_card:
            data["visitor_card"] = outcome.visitor_card
    elif isinstance(outcome, UnknownCard):
        data.update(uid_fingerprint=outcome.uid_fingerprint, event_seq=outcome.event_seq)
    elif isinstance(outcome, CardRefused):
        data.update(reason=outcome.reason, event_seq=outcome.event_seq)
    elif isinstance(outcome, TechnicianCard):
        data.update(technician_id=outcome.technician_id)
    elif isinstance(outcome, ResidentAtDesk):
        data.update(resident_id=outcome.resident_id)
    elif isinstance(outcome, CardIssued):
        data.update(card_no=outcome.card_no, role=outcome.role, holder_id=outcome.holder_id)
    elif isinstance(outcome, IssueFailed):
        data.update(message=outcome.message)
    elif isinstance(outcome, VisitorCard):
        data.update(card_no=outcome.card_no)
    elif outcome is not None:
        data.update(reason=outcome.reason, detail=outcome.detail)
    else:
        data["error"] = report.error
    return json.dumps(data, ensure_ascii=False)


def report_text(report: TapReport) -> str:
    """What a person at the console reads for a tap."""
    outcome = report.outcome
    if isinstance(outcome, CheckedIn):
        key = "Already checked in today" if outcome.repeat else "Checked in"
        who = outcome.visitor_card or outcome.masked_name  # offline visitor: her card number
        text = f"{bilingual(key)}: {who}  {bilingual('Queue number')} {outcome.queue_no}"
        item = outcome.follow_up.next_item
        if item:
            text += f"\n    {bilingual('Next visit')}: {item.title} {item.next_date}"
        for overdue in outcome.follow_up.overdue:
            text += f"\n    {bilingual('Overdue')}: {overdue.title} {overdue.due}"
        return text
    if isinstance(outcome, UnknownCard | VisitorCard):
        return bilingual("Card not recognised, please ask staff")
    if isinstance(outcome, CardRefused) and outcome.reason == "exchange":
        return bilingual("Please exchange this card")
    if isinstance(outcome, CardRefused):
        return bilingual("This card cannot be used") + f" ({outcome.reason})"
    if isinstance(outcome, TechnicianCard):
        if report.at_desk:
            return bilingual("Technician card at the desk")
        if report.issue_for:
            return bilingual("Technician card: the card her desk asked for is issued here next")
        return bilingual("Technician card: enter the PIN on the screen")
    if isinstance(outcome, ResidentAtDesk):
        return bilingual("Resident card at the desk: her record opens there")
    if isinstance(outcome, CardIssued):
        return bilingual("Card issued") + f": {outcome.card_no}"
    if isinstance(outcome, IssueFailed):
        return bilingual("Card not issued") + f": {bilingual(outcome.message)}"
    if outcome is not None:
        if outcome.reason == "removed":
            return bilingual("Card moved away too soon, please tap again")
        return bilingual("This card cannot be read here, please ask staff")
    return bilingual("Check-in could not be saved, please ask staff")


STATUS_TEXT = {
    ReaderState.READY: "Card reader ready",
    ReaderState.NO_READER: "No card reader connected",
    ReaderState.SERVICE_UNAVAILABLE: "Reader service unavailable, retrying",
    ReaderState.STARTING: "Card reader starting",
}


def status_line(status: ReaderStatus, as_json: bool) -> str:
    if as_json:
        return json.dumps({"kind": "reader_status", "state": status.state.value,
                           "readers": list(status.readers), "detail": status.detail})
    text = bilingual(STATUS_TEXT[status.state])
    return f"{text}: {', '.join(status.readers)}" if status.readers else text
