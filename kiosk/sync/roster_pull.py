"""Pulling the county's roster feed into this station (residents, cards, revocations,
care plans and visit dates of the other stations), so she is served anywhere and a
card revoked anywhere is refused here.

Each page is applied in one unit of work with a `roster.applied` event, and the
cursor (how far each other station's chain has been read) is kept in the meta table, so a
pull resumes where it stopped.
"""

from __future__ import annotations

import logging

from kiosk.errors import ProtocolError
from kiosk.protocol.roster import verify_page
from kiosk.store.roster import cursor

log = logging.getLogger(__name__)


def pull(core, link, county_key, max_pages: int = 100) -> int:
    """Apply pages until the feed has nothing new; return how many entries were applied."""
    applied = 0
    for _ in range(max_pages):
        with core.writer.lock:  # read on the writer between two units of work
            after = cursor(core.db)
        page = verify_page(link.roster(core.config.station.id, after, core.key), county_key)
        if page["for"] != core.config.station.id or page["after"] != after:
            raise ProtocolError("roster page was made for another request")
        _apply_page(core, page)  # with no entries, still the stations' keys and revocations
        if page["next"] == after:  # nothing new since the cursor
            return applied
        applied += len(page["entries"])
    return applied


def _apply_page(core, page: dict) -> None:
    with core.uow() as uow:
        new_keys, applied = uow.roster.apply_page(page, core.config.station.id, core.care.plans)
        refused = applied.refused
        if page["entries"] or new_keys:  # a bare cursor move (own events only) is bookkeeping
            uow.record("roster.applied", {"after": page["after"], "next": page["next"],
                                          "entries": len(page["entries"]) - len(refused),
                                          "stations": new_keys,
                                          "from": sorted({e["station_id"] for e in page["entries"]}),
                                          "refused": refused,
                                          **({"looked_up": applied.looked_up}
                                             if applied.looked_up else {})})
        uow.commit()
    if refused:  # the county should have kept them back: say so where an operator looks
        log.error("ALERT roster: %d entries refused by the roster rules (from %s)", len(refused),
                  ", ".join(sorted({r["station_id"] for r in refused})))
    log.info("roster: applied %d entries up to %s", len(page["entries"]) - len(refused),
             page["next"] or "the start")
