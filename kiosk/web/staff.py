"""Technician pages: login with card and PIN, dashboard, residents and working lists."""

from __future__ import annotations

from flask import Blueprint, Response, abort, make_response, redirect, render_template, request, url_for

from kiosk.chart import chart_svg
from kiosk.domain.model import local_date
from kiosk.domain.registry import CONSENT_VERSION, DuplicateId
from kiosk.domain.validation import Invalid
from kiosk.store import queries
from kiosk.web import csv_export
from kiosk.web import registration as reg
from kiosk.web.guard import COOKIE, at_desk, current_session, db, desk, login_page, services, staff_required
from kiosk.web.labels import item_title
from kiosk.web.staff_technicians import lockout_message

bp = Blueprint("staff", __name__, url_prefix="/staff")


def core():
    return services().core


def today():
    return local_date(core().clock.now(), core().config.station.timezone)


def me() -> str:
    session = current_session()
    assert session is not None  # every caller is behind staff_required
    return session.technician_id


@bp.get("/login")
def login():
    if current_session():
        return redirect(url_for("staff.dashboard"))
    if at_desk():
        return redirect(login_page())
    return render_template("staff/login.html")


@bp.post("/login")
def login_pin():
    if at_desk():  # the desk's PIN form posts to its own login (kiosk.web.desk)
        abort(404)
    ticket, csrf = request.form.get("ticket", ""), request.form.get("csrf", "")
    found = services().desk.ticket(ticket, csrf)
    if found is None:
        return render_template("staff/login.html", error="Tap your technician card again"), 400
    technician_id, name = found
    result = core().staff.check_pin(technician_id, request.form.get("pin", ""))
    if result.blocked or result.locked_until:
        services().desk.drop_ticket(ticket)
        return render_template("staff/login.html",
                               error=lockout_message(result, core().clock.now())), 403
    if not result.ok:
        return render_template("staff/pin.html", ticket=ticket,
                               csrf=csrf, name=name, error="Wrong PIN",
                               attempts_left=result.attempts_left), 403
    session = services().desk.open_session(technician_id, name)
    landing = "staff_clock.clock_page" if not core().clock.is_set() else "staff.dashboard"
    response = make_response(redirect(url_for(landing)))
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="Strict",
                        max_age=desk().idle_seconds * 4)
    return response


@bp.post("/login/desk")
def login_desk_code():
    """At the kiosk screen, after her card's tap: the code her desk's login page shows. That
    page, and no other, gets the PIN form (kiosk.station.desk_logins); one try per tap."""
    sessions = services().desk_sessions
    if at_desk() or sessions is None:
        abort(404)
    ticket, csrf = request.form.get("ticket", ""), request.form.get("csrf", "")
    found = services().desk.ticket(ticket, csrf)
    services().desk.drop_ticket(ticket)
    if found is None:
        return render_template("staff/login.html", error="Tap your technician card again"), 400
    wait = sessions.logins.confirm(request.form.get("code", "").strip(), *found)
    if wait is None:
        return render_template("staff/login.html", error="No desk login page shows that code. "
                               "Tap your technician card again"), 403
    return render_template("staff/desk_continue.html")


@bp.post("/logout")
@staff_required
def logout():
    if at_desk():
        from kiosk.web.desk import desk_logout
        return desk_logout()
    session = services().desk.end_session()
    if session:
        core().staff.logout(session.technician_id, "button")
    # the idle screen, not the last tap of her session (a card she issued: 已发卡 and its number)
    response = make_response(redirect(url_for("screen.index", idle=1)))
    response.delete_cookie(COOKIE)
    response.delete_cookie("lang", samesite="Strict")  # the public screen is Chinese again
    return response


@bp.get("/ping")
@staff_required
def ping():
    """A touch on a page that sent no request yet (typing a long form) keeps the session."""
    return "", 204


@bp.get("/")
@staff_required
def dashboard():
    hub = services().hub
    board = queries.dashboard(db(), today())
    from kiosk.keys import enrolment_text, svg_qr
    code = enrolment_text(core().config.station.id, core().key.public_bytes())
    return render_template("staff/dashboard.html", board=board, status=hub.status,
                           enrolment_code=code, enrolment_qr=svg_qr(code),
                           key_fingerprint=core().key.fingerprint(),
                           desk_fingerprint=services().desk_fingerprint,
                           chart=chart_svg(board.per_day),
                           sync=services().sync_status(db()),
                           blocked=queries.blocked_technicians(db()))


@bp.post("/sync-now")
@staff_required
def sync_now():
    """Ask the sync worker to push at once (it runs as its own process)."""
    from kiosk.sync.worker import sync_now as request_sync
    request_sync(core().config.station.data_dir)
    with core().uow() as uow:
        uow.record("sync.requested", {"by": me()})
        uow.commit()
    return redirect(url_for("staff.dashboard"))


@bp.route("/residents", methods=["GET", "POST"])
@staff_required
def residents():
    """The search form posts (a phone or ID number stays out of URLs and browser history)."""
    text, village = request.values.get("q", "").strip(), request.values.get("village", "")
    search = core().registry.search(text) if text else None
    found = queries.search_residents(db(), search, village) if (text or village) else []
    if text or village:  # the audit trail keeps what kind of search it was, never its text
        with core().uow() as uow:
            uow.record("residents.searched", {"kind": search.kind if search else "village",
                                              "village": village, "results": len(found),
                                              "by": me()})
            uow.commit()
    shown = "" if search and search.kind == "national_id" else text  # an ID is not shown again
    return render_template("staff/residents.html", found=found, q=shown, village=village,
                           villages=queries.villages(db()))


@bp.route("/residents/new", methods=["GET", "POST"])
@staff_required
def register():
    """Check (the ID number first, with or without her consent), show residents who may be her
    already (the technician may still go on), register, and open her record saying so."""
    if request.method == "GET":
        return _register_page({})
    form, key = request.form, None
    try:
        typed = form.get("national_id", "").strip()
        key = core().registry.id_key(typed) if typed else reg.carried_key(form)
        fields = core().registry.check(reg.registration(form, key))
    except DuplicateId as exc:  # named by her record, never by the number in full
        return _register_page(reg.shown_again(form), {exc.field: exc.message},
                              duplicate_of=exc.resident_id, duplicate_id=key.masked if key else ""), 422
    except Invalid as exc:
        return _register_page(reg.shown_again(form), {exc.field: exc.message},
                              key=None if exc.field == "national_id" else key), 422
    if not form.get("not_duplicate"):
        similar = queries.similar_residents(db(), fields["name"], fields["birth_date"] or "",
                                            fields["village"] or "")
        if similar:
            return _register_page(reg.shown_again(form), similar=similar, key=key)
    resident = core().registry.register(reg.registration(form, key), by=me())
    response = redirect(url_for("staff.resident", resident_id=resident.id))
    return reg.remember_registered(response, resident.id, reg.not_kept(form, reg.consented()),
                                   secure=at_desk())


def _register_page(form, errors=None, **shown):
    return render_template("staff/register.html", form=form, errors=errors or {},
                           not_kept=reg.not_kept(form, reg.consented()) if form else [],
                           villages=queries.villages(db()), **shown)


@bp.get("/residents/<resident_id>")
@staff_required
def resident(resident_id: str):
    record = queries.resident_record(db(), resident_id, core().clock.now())
    if record is None:
        abort(404)
    core().registry.viewed(resident_id, me())  # audited: she sees who opened her record
    registered, dropped = reg.just_registered(resident_id)
    response = make_response(_record_page(record, registered=registered, not_kept=dropped))
    if registered:  # said once: not again on the record she comes back to after a card, a plan
        response.delete_cookie(reg.REGISTERED_COOKIE, samesite="Strict")
    return response


def _record_page(record, errors=None, form=None, **shown):
    own = core().config.station.id
    return render_template("staff/resident.html", record=record, today=today(),
                           plans=core().care.plans, errors=errors or {}, form=form or {},
                           views=queries.views_by_day(record.views, core().config.station.timezone),
                           home=queries.home_station(db(), record.resident.id) or own,
                           stations=[own, *queries.station_ids(db())], **shown)


@bp.post("/residents/<resident_id>/correct")
@staff_required
def correct(resident_id: str):
    changes = {k: request.form.get(k, "") for k in ("name", "birth_date", "village", "phone")}
    try:
        core().registry.correct(resident_id, changes, me())
    except Invalid as exc:
        return _record_with_error(resident_id, exc)
    return redirect(url_for("staff.resident", resident_id=resident_id, _anchor="sec-details"))


@bp.post("/residents/<resident_id>/consent")
@staff_required
def consent(resident_id: str):
    try:
        if request.form.get("action") == "withdraw":
            core().registry.withdraw_consent(resident_id, me())
        elif request.form.get("consent") == CONSENT_VERSION:
            core().registry.give_consent(resident_id, me())
        else:
            raise Invalid("consent", "Tick the box only when she agrees")
    except Invalid as exc:
        return _record_with_error(resident_id, exc)
    return redirect(url_for("staff.resident", resident_id=resident_id, _anchor="sec-consent"))


def _record_with_error(resident_id: str, exc: Invalid):
    record = queries.resident_record(db(), resident_id, core().clock.now())
    if record is None:
        abort(404)
    return _record_page(record, {exc.field: exc.message}, request.form), 422


@bp.get("/lists/<which>")
@staff_required
def work_list(which: str):
    if which not in queries.LISTS:
        abort(404)
    asked = request.args.get("page", "1")
    page = int(asked) if asked.isdigit() else 1
    village = request.args.get("village", "")
    found = queries.work_list(db(), which, today(), village, page)
    with core().uow() as uow:  # a list shows many residents: who looked is kept too
        uow.record("list.viewed", {"list": which, "village": village, "page": page, "by": me()})
        uow.commit()
    return render_template("staff/list.html", wl=found, village=village,
                           villages=queries.villages(db()), today=today())


@bp.get("/lists/<which>.csv")
@staff_required
def work_list_csv(which: str):
    if which not in queries.LISTS:
        abort(404)
    village = request.args.get("village", "")
    found = queries.work_list(db(), which, today(), village, 1, per_page=100_000)
    text = csv_export.work_list_csv(found.rows, item_title)
    with core().uow() as uow:
        uow.record("list.exported", {"list": which, "village": village, "rows": found.total,
                                     "by": me()})
        uow.commit()
    return Response(text, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename={which}-{today().isoformat()}.csv"})
