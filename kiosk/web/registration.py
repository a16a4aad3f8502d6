"""The registration form's rules on screen: what her consent decides, a second record for the
same person, and her ID number, which a page never shows again once typed.

Kept apart from the view (kiosk.web.staff.register) so that the view stays "read the form, check,
register, answer": this module reads the form into a Registration, carries a checked ID number
from one showing of the form to the next as its keyed hash and masked form only, and hands the
record page its "registered" message in a short-lived cookie (the record's URL stays the same,
so a tap that opens her record lands on that URL too).
"""

from __future__ import annotations

import re

from flask import Response, request

from kiosk.domain.registry import CONSENT_VERSION, KEPT_WITH_CONSENT, IdKey, Registration

REGISTERED_COOKIE = "kiosk_registered"
REGISTERED_SECONDS = 60


def consented() -> bool:
    return request.form.get("consent") == CONSENT_VERSION


def not_kept(form, consent: bool) -> list[str]:
    """The fields she filled in that are not kept without her consent (none with it)."""
    return [] if consent else [f for f in KEPT_WITH_CONSENT if (form.get(f) or "").strip()
                               or (f == "national_id" and form.get("id_hash"))]


def carried_key(form) -> IdKey | None:
    """The ID number checked on an earlier showing of the form (hash and masked form only)."""
    id_hash, masked = form.get("id_hash", ""), form.get("id_masked", "")
    if re.fullmatch(r"[0-9a-f]{64}", id_hash) and re.fullmatch(r"[0-9]{3}\*{11}[0-9X]{4}", masked):
        return IdKey(id_hash, masked)
    return None


def registration(form, key: IdKey | None) -> Registration:
    """The form as the registry takes it; the ID number travels as its hash only."""
    return Registration(form.get("name", ""), form.get("birth_date", ""), form.get("village", ""),
                        form.get("phone", ""), "", consented(),
                        national_id_hash=key.hash if key else "")


def shown_again(form) -> dict[str, str]:
    """The form's values to fill in again: everything but the ID number itself."""
    return {k: v for k, v in form.items() if k not in ("national_id", "csrf")}


def remember_registered(response: Response, resident_id: str, dropped: list[str], secure: bool) -> Response:
    value = resident_id + ":" + ",".join(dropped)
    response.set_cookie(REGISTERED_COOKIE, value, max_age=REGISTERED_SECONDS, httponly=True,
                        samesite="Strict", secure=secure)
    return response


def just_registered(resident_id: str) -> tuple[bool, list[str]]:
    """(registered just now, the fields not kept) for her record page, from the cookie."""
    value = request.cookies.get(REGISTERED_COOKIE, "")
    found, _, dropped = value.partition(":")
    if found != resident_id:
        return False, []
    return True, [f for f in dropped.split(",") if f in KEPT_WITH_CONSENT]
