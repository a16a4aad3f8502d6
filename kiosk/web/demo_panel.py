"""Demo mode only: tap demo cards from the browser and see the printed receipts."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

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
                           screen_token=current_app.extensions["kiosk_hub"].pages.launch_token)


@bp.post("/tap/<card>")
def tap(card: str):
    if request.headers.get("X-Kiosk-Demo") != "1":  # a plain form post from elsewhere: refuse
        abort(403)
    if not demo().tap(card):
        abort(404)
    return jsonify(ok=True)


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
