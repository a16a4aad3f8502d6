"""The officer's pages: service reports and exports (kiosk/county/projections and export/
fill them); until then, each station's data freshness, so a quiet station can be told from
an offline one. Every report view and export is an entry in the audit trail."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from kiosk.county.web.pages import services

bp = Blueprint("officer", __name__)


@bp.get("/reports")
def reports():
    county = services()
    county.audit.record(current_user.user, "report.viewed", "data freshness",
                        request.remote_addr or "")
    return render_template("county_reports.html", rows=county.stations.health())
