"""What anyone may ask without a login or a signature: liveness and the county's public key."""

from __future__ import annotations

from flask import Blueprint

from kiosk.county.web.api import services

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz():
    return {"ok": True, "stations": len(services().store.stations())}


@bp.get("/api/v1/county-key")
def county_public_key():
    return {"public_key": services().key.public_bytes().hex()}
