"""Words the staff pages show for stored codes (gettext msgids; all translated)."""

from __future__ import annotations

from flask_babel import gettext

from kiosk.i18n import bilingual

STATUS = {"upcoming": "Upcoming", "due": "Due now", "overdue": "Overdue", "done": "Done",
          "declined": "Declined (her choice)"}
OUTCOMES = {"completed": "Completed", "completed_referred": "Completed, referred on",
            "partly_done": "Partly done"}
ANCHORS = {"last_menstrual_period": "First day of last period", "discharge_date": "Discharge date",
           "delivery_date": "Delivery date", "procedure_date": "Procedure date",
           "enrolment_date": "Start date"}
LISTS = {"due": "Due now", "overdue": "Overdue", "week": "Next 7 days"}
QUEUE_STATES = {"waiting": "Waiting", "called": "Called", "in_service": "In service", "done": "Done",
                "no_show": "Did not answer", "not_served": "Not served today"}
FIELDS = {"name": "Name", "birth_date": "Birth date", "village": "Village", "phone": "Phone",
          "national_id": "ID number"}
ALL = (*FIELDS.values(), *STATUS.values(), *OUTCOMES.values(), *ANCHORS.values(), *LISTS.values(),
       *QUEUE_STATES.values())


def _plans() -> dict:
    from flask import current_app
    services = current_app.extensions.get("kiosk_services")
    return services.core.care.plans if services is not None else {}


def item_title(item) -> str:
    """Her care-plan item's title in the page's language (an item object or a row)."""
    from flask_babel import get_locale

    from kiosk.domain.care_plans import shown_title
    get = item.get if isinstance(item, dict) else lambda key: getattr(item, key, None)
    return shown_title(_plans(), get("plan") or "", get("code"), get("title") or "",
                       str(get_locale()))


def plan_name(plan) -> str:
    """A plan's name in the page's language."""
    from flask_babel import get_locale
    return plan.names.shown(str(get_locale()))


def install(app) -> None:
    from kiosk.domain.care import OUTCOMES as outcome_codes
    from kiosk.domain.registry import CONSENT_VERSION
    app.add_template_filter(lambda msg: bilingual(msg), "both")
    app.add_template_global(lambda code: gettext(STATUS.get(code, code)), "status_label")
    app.add_template_global(lambda code: gettext(OUTCOMES.get(code, code)), "outcome_label")
    app.add_template_global(lambda code: gettext(ANCHORS.get(code, code)), "anchor_label")
    app.add_template_global(lambda code: gettext(LISTS.get(code, code)), "list_title")
    app.add_template_global(lambda code: gettext(QUEUE_STATES.get(code, code)), "queue_state")
    app.add_template_global(lambda code: gettext(FIELDS.get(code, code)), "field_label")
    app.add_template_global(CONSENT_VERSION, "consent_version")
    app.add_template_global(item_title, "item_title")
    app.add_template_global(plan_name, "plan_name")
    app.add_template_global(outcome_codes, "outcomes")
