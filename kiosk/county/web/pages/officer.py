"""The officer's pages: service reports and exports (kiosk/county/projections and export/
fill them); until then, each station's data freshness, so a quiet station can be told from
an offline one."""

from __future__ import annotations

from flask import Blueprint, render_template

from kiosk.county.web.pages import services

bp = Blueprint("officer", __name__)


@bp.get("/reports")
def reports():
    return render_template("county_reports.html", rows=services().stations.health())
