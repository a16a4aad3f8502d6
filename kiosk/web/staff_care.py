"""Technician actions on one resident: cards, care-plan enrolment, visits, her choices."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from kiosk.domain.model import mask_name
from kiosk.domain.validation import Invalid
from kiosk.station.desk_issues import IssueRefused
from kiosk.store import queries
from kiosk.web.guard import at_desk, current_session, db, desk, desk_sessions, staff_required
from kiosk.web.staff import _record_with_error, core, me, today

bp = Blueprint("care", __name__, url_prefix="/staff")


@bp.post("/residents/<resident_id>/issue")
@staff_required
def issue(resident_id: str):
    record = queries.resident_record(db(), resident_id, core().clock.now())
    if record is None:
        abort(404)
    reason = request.form.get("reason", "")  # "exchange": a card that proves itself, old revoked
    reason = reason if reason in ("reissue", "exchange") else "new"
    session = current_session()
    assert session is not None  # staff_required
    if not at_desk():
        issue_request = desk().request_issue("resident", resident_id, me(), reason, session.token)
        return redirect(url_for("care.issue_status", request_id=issue_request.id))
    try:  # one card waits per desk and per reader (kiosk.station.desk_issues)
        issue_request = desk_sessions().request_issue("resident", resident_id, me(), reason,
                                                      session.token,
                                                      mask_name(record.resident.name))
    except IssueRefused as exc:
        return _record_with_error(resident_id, Invalid("card", exc.message))
    return redirect(url_for("care.issue_status", request_id=issue_request.id))


@bp.post("/issue/<request_id>/cancel")
@staff_required
def issue_cancel(request_id: str):
    """A desk cancels the card it left waiting (the kiosk's own ends with its session)."""
    session = current_session()
    if not at_desk() or session is None or not desk_sessions().issues.cancel(request_id,
                                                                             session.token):
        abort(404)
    return redirect(url_for("care.issue_status", request_id=request_id))


@bp.get("/issue/<request_id>")
@staff_required
def issue_status(request_id: str):
    found = desk().issue_request(request_id)
    if found is None:
        abort(404)
    if request.args.get("format") == "json":
        return jsonify(status=found.status, card_no=found.card_no)
    return render_template("staff/issue.html", req=found)


@bp.post("/cards/<card_no>/revoke")
@staff_required
def revoke(card_no: str):
    card = queries.card_lookup(db(), card_no)
    if card is None:
        abort(404)
    core().desk.revoke(card_no, me(), "lost" if request.form.get("reason") != "damaged"
                       else "damaged")
    return redirect(url_for("staff.resident", resident_id=card["holder_id"], _anchor="sec-cards"))


@bp.post("/residents/<resident_id>/move")
@staff_required
def move(resident_id: str):
    """She now lives in another township: her record goes to that station (issue 24)."""
    try:
        core().registry.move(resident_id, request.form.get("to", ""), core().config.station.id,
                             me())
    except Invalid as exc:
        return _record_with_error(resident_id, exc)
    return redirect(url_for("staff.resident", resident_id=resident_id, _anchor="sec-details"))


@bp.post("/residents/<resident_id>/enrol")
@staff_required
def enrol(resident_id: str):
    plan_id = request.form.get("plan", "")
    try:
        if request.form.get("action") == "decline":
            core().care.decline_plan(resident_id, plan_id, me())
        else:
            plan = core().care.plans.get(plan_id)
            anchors = {a: request.form.get(f"anchor_{a}", "") for a in (plan.anchors() if plan else ())}
            core().care.enrol(resident_id, plan_id, anchors, me())
    except Invalid as exc:
        return _record_with_error(resident_id, exc)
    return redirect(url_for("staff.resident", resident_id=resident_id, _anchor="sec-plan"))


def _item(item_id: str):
    row = queries.one(db(), "SELECT * FROM care_plan_items WHERE id = ?", (item_id,))
    if row is None:
        abort(404)
    return row


@bp.route("/items/<item_id>/visit", methods=["GET", "POST"])
@staff_required
def visit(item_id: str):
    item = _item(item_id)
    corrects = request.values.get("corrects") or None
    siblings = queries.rows(db(), "SELECT * FROM care_plan_items WHERE enrolment_id = ? "
                                  "AND id != ? AND done_on IS NULL AND declined_on IS NULL "
                                  "AND due >= ? ORDER BY due, id LIMIT 1",
                            (item["enrolment_id"], item_id, item["due"]))
    following = siblings[0] if siblings else None
    old = queries.one(db(), "SELECT * FROM visits WHERE id = ?", (corrects,)) if corrects else None
    form = dict(request.form) or old or {
        "visit_date": today().isoformat(), "outcome": "completed",
        "next_appointment": (following or {}).get("appointment") or (following or {}).get("due")
        or ""}
    if request.method == "POST":
        try:
            core().care.log_visit(item_id, form.get("visit_date", ""), form.get("outcome", ""),
                                  form.get("note", ""), form.get("next_appointment", ""), me(),
                                  corrects=corrects)
        except Invalid as exc:
            return render_template("staff/visit.html", item=item, form=form, following=following,
                                   errors={exc.field: exc.message}, corrects=corrects), 422
        return redirect(url_for("staff.resident", resident_id=item["resident_id"], _anchor="sec-plan"))
    return render_template("staff/visit.html", item=item, form=form, following=following,
                           errors={}, corrects=corrects)


@bp.post("/items/<item_id>/decline")
@staff_required
def decline(item_id: str):
    item = _item(item_id)
    try:
        core().care.decline_item(item_id, me())
    except Invalid as exc:
        return _record_with_error(item["resident_id"], exc)
    return redirect(url_for("staff.resident", resident_id=item["resident_id"], _anchor="sec-plan"))
