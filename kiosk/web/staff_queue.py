"""Technician pages for the queue: the waiting line and the moves for her room."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from kiosk.domain.queue import QueueRefused
from kiosk.web.guard import current_session, db, services, staff_required

bp = Blueprint("staff_queue", __name__, url_prefix="/staff/queue")
ROOM_COOKIE = "kiosk_room"
MOVES = ("recall", "start", "done", "no_show", "put_back", "prioritise")


def calling():
    found = services().calling
    if found is None:
        abort(404)
    return found


def my_room() -> str:
    rooms = calling().queue.rooms
    chosen = request.values.get("room") or request.cookies.get(ROOM_COOKIE, "")
    return chosen if any(r.id == chosen for r in rooms) else rooms[0].id


def me() -> str:
    session = current_session()
    assert session is not None  # behind staff_required
    return session.technician_id


def page(error: str = "", status: int = 200):
    room = my_room()
    view = calling().staff_rows(db())
    mine = [r for r in view["active"] if r["room"] == room]
    return render_template("staff/queue.html", view=view, mine=mine, room=room,
                           rooms=calling().queue.rooms, error=error), status


@bp.get("/")
@staff_required
def queue_page():
    """The queue page; ``?room=`` chooses her room (kept in a cookie on this device)."""
    if "room" not in request.args:
        return page()
    response = redirect(url_for("staff_queue.queue_page"))
    response.set_cookie(ROOM_COOKIE, my_room(), max_age=3600 * 24 * 365, samesite="Strict")
    return response


def _after(move_action):
    try:
        move = move_action()
    except QueueRefused as exc:
        return page(exc.message, 409)
    calling().moved(move, db())
    if request.headers.get("X-Kiosk-Fetch") == "1":  # the page's own buttons and the tests
        return {"event": move.event_type, "queue_no": move.entry.queue_no,
                "room": move.entry.room}
    return redirect(url_for("staff_queue.queue_page"))


@bp.post("/call-next")
@staff_required
def call_next():
    room = my_room()
    return _after(lambda: calling().queue.call_next(room, me()))


@bp.post("/<checkin_id>/<move>")
@staff_required
def move_entry(checkin_id: str, move: str):
    if move not in MOVES:
        abort(404)
    return _after(lambda: getattr(calling().queue, move)(checkin_id, me()))
