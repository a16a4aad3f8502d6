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
ALL = (*STATUS.values(), *OUTCOMES.values(), *ANCHORS.values(), *LISTS.values(),
       *QUEUE_STATES.values())


def install(app) -> None:
    from kiosk.domain.care import OUTCOMES as outcome_codes
    from kiosk.domain.registry import CONSENT_VERSION
    app.add_template_filter(lambda msg: bilingual(msg), "both")
    app.add_template_global(lambda code: gettext(STATUS.get(code, code)), "status_label")
    app.add_template_global(lambda code: gettext(OUTCOMES.get(code, code)), "outcome_label")
    app.add_template_global(lambda code: gettext(ANCHORS.get(code, code)), "anchor_label")
    app.add_template_global(lambda code: gettext(LISTS.get(code, code)), "list_title")
    app.add_template_global(lambda code: gettext(QUEUE_STATES.get(code, code)), "queue_state")
    app.add_template_global(CONSENT_VERSION, "consent_version")
    app.add_template_global(outcome_codes, "outcomes")
