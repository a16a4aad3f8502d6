"""Demo mode only: tap demo cards from the browser and see the printed receipts."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request

from kiosk.web.receipt_image import receipt_png

bp = Blueprint("demo", __name__, url_prefix="/demo")


def demo():
    """The demo controls `kiosk demo` handed to create_app: cards to tap, receipts to show."""
    return current_app.extensions["kiosk_demo"]


@bp.get("/")
def panel():
    controls = demo()
    # the demo's iframe is the kiosk's own screen, so it is launched like the kiosk's browser
    return render_template("demo.html", cards=controls.cards, demo_pin=controls.technician_pin,
                           desk_url=getattr(controls, "desk_url", ""),
                           county_url=getattr(controls, "county_url", ""),
                           screen_token=current_app.extensions["kiosk_hub"].pages.launch_token)


@bp.get("/county")
def county():
    """The county's pages, signed in as the demo officer: each click takes a fresh one-time
    link, which the county honours only from this machine (kiosk/county/services/
    demo_sign_in.py); ``next`` is the county page to open."""
    login = getattr(demo(), "county_login", None)
    link = login(request.args.get("next", "/")[:200]) if login else None
    if not link:
        abort(404)
    return redirect(link)


@bp.post("/sync")
def sync():
    """Sync now: the station pushes its new events to the county and pulls the roster."""
    if request.headers.get("X-Kiosk-Demo") != "1":
        abort(403)
    sync_now = getattr(demo(), "sync_now", None)
    if sync_now is None or not sync_now():
        abort(404)
    return jsonify(ok=True)


@bp.post("/tap/<card>")
def tap(card: str):
    if request.headers.get("X-Kiosk-Demo") != "1":  # a plain form post from elsewhere: refuse
        abort(403)
    tapped = (demo().tap(card, at_desk=True) if request.args.get("reader") == "desk"
              else demo().tap(card))
    if not tapped:
        abort(404)
    return jsonify(ok=True)


@bp.post("/call-next")
def call_next():
    """The demo's "call next" for the first room, so calling shows without a technician login."""
    if request.headers.get("X-Kiosk-Demo") != "1":
        abort(403)
    services = current_app.extensions.get("kiosk_services")
    if services is None or services.calling is None:
        abort(404)
    from flask_babel import gettext

    from kiosk.domain.queue import QueueRefused
    from kiosk.web.guard import db
    calling = services.calling
    try:
        move = calling.queue.call_next(calling.queue.rooms[0].id, "demo-panel")
    except QueueRefused as exc:
        return jsonify(ok=False, message=gettext(exc.message)), 409
    calling.moved(move, db())
    return jsonify(ok=True, queue_no=move.entry.queue_no)


@bp.get("/receipts")
def receipts():
    return jsonify(count=len(demo().capture.jobs))


@bp.get("/receipt/<int:index>.png")
def receipt(index: int):
    jobs = demo().capture.jobs
    if not 0 <= index < len(jobs):
        abort(404)
    return Response(receipt_png(jobs[index]), mimetype="image/png",
                    headers={"Cache-Control": "max-age=3600"})
