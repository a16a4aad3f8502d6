"""The queue's public side: the call band on the kiosk screen, the waiting-room display
(/display and its own stream /display/events, no login, no names unless configured; all a
device on the LAN may reach, kiosk.web.lan) and the announcement audio."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context

from kiosk.ports import SpeechFailed

bp = Blueprint("calling", __name__)
DISPLAY_KEEPALIVE_SECONDS = 5  # a display's dead stream is noticed, and its slot freed, this soon


def desk():
    """The station's QueueDesk, or None when the app runs without the station."""
    services = current_app.extensions.get("kiosk_services")
    return services.calling if services else None


def current_board():
    """The public board from this request's read connection (after a restart too)."""
    calling = desk()
    if calling is None:
        return None
    from kiosk.web.guard import db
    return calling.board(db())


def waiting_ahead(checkin_id: str) -> tuple[int | None, int | None]:
    """(people ahead of her, estimated minutes) for her check-in screen."""
    calling = desk()
    if calling is None:
        return None, None
    from kiosk.store.database import connect_readonly
    read = connect_readonly(calling.queue_database)  # also called from the event stream's generator
    try:
        return calling.waiting_ahead(read, checkin_id)
    finally:
        read.conn.close()


def band_html(board) -> str:
    if board is None:
        return ""
    return render_template("fragments/call_band.html", board=board)


def board_html(board) -> str:
    if board is None:
        return ""
    return render_template("fragments/display_board.html", board=board)


def voice_url(call) -> str:
    calling = desk()
    return calling.voice_path(call) if calling is not None else ""


def queue_payload(board) -> dict:
    """The boards' HTML, and for her check-in screen the waiting line's numbers in calling
    order, the numbers called to a room now, and the minutes per person (static/kiosk.js)."""
    return {"band": band_html(board), "board": board_html(board), "line": list(board.line),
            "called": {str(c.queue_no): c.room_name for c in board.current},
            "minutes_each": board.minutes_each}


def call_payload(announcement, speaks: bool = False) -> dict:
    """A call for a page's stream; its voice URL (which carries the call's pass) only for the
    screens that speak: the kiosk's own page and /display (kiosk.station.voice_access)."""
    call = announcement.call
    return {"seq": announcement.seq, "queue_no": call.queue_no, "room": call.room_name,
            "audio": voice_url(call) if speaks else ""}


@bp.get("/display")
def display():
    token = current_app.extensions["kiosk_hub"].pages.display_token
    return render_template("display.html", board_html=board_html(current_board()),
                           display_token=token)


@bp.get("/display/events")
def display_events():
    """The display's own stream: the board on (re)connect, then board changes and calls,
    nothing of the kiosk's screen (its taps and check-ins stay on /events, on loopback)."""
    import json
    import queue

    from kiosk.station.screen_pages import TooManyScreens
    hub = current_app.extensions["kiosk_hub"]
    speaks = hub.pages.is_display(request.args.get("display"))  # the calls' voice, as on /events
    try:
        from kiosk.web.server import LOCAL
        subscription = hub.subscribe_display(local=request.remote_addr in LOCAL)
    except TooManyScreens:
        current_app.logger.warning("display stream refused: every display slot is taken")
        return Response("too many open displays\n", status=503, mimetype="text/plain",
                        headers={"Retry-After": "30"})
    board = current_board()

    def sse(event: str, data: dict) -> str:
        return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

    @stream_with_context
    def stream():
        try:
            yield "retry: 1000\n\n" + sse("status", {})
            if board is not None:
                yield sse("queue", queue_payload(board))
            while True:
                try:
                    kind, item = subscription.get(timeout=DISPLAY_KEEPALIVE_SECONDS)
                except queue.Empty:
                    yield ": keep-alive\n\n"
                    continue
                if kind == "queue":
                    yield sse("queue", queue_payload(item))
                elif kind == "call":
                    yield sse("call", call_payload(item, speaks))
        finally:
            hub.unsubscribe(subscription)

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.get("/voice/<int:queue_no>/<room_id>.wav")
def voice(queue_no: int, room_id: str):
    """A call's announcement for the screen it was announced to; 404 for anything else,
    with nothing rendered, written or logged."""
    calling = desk()
    if calling is None or not 0 < queue_no < 100000:
        abort(404)
    from kiosk.web.guard import db
    try:
        data = calling.voice(db(), queue_no, room_id, request.args.get("k", ""))
    except SpeechFailed as exc:
        current_app.logger.warning("announcement not rendered: %s", exc)
        abort(503)
    if data is None:
        abort(404)
    return Response(data, mimetype="audio/wav", headers={"Cache-Control": "private, max-age=3600"})
