"""docs/reports.md is generated from the report definitions and says what no report does."""

from kiosk.county.domain.reports import INDICATORS, NEVER
from kiosk.county.export.reports_doc import DOC, render
from kiosk.i18n import gettext_for


def test_docs_reports_md_is_generated_from_the_definitions():
    assert DOC.read_text(encoding="utf-8") == render(), \
        "run: python -m kiosk.county.export.reports_doc"


def test_the_doc_says_plainly_what_no_report_does():
    assert NEVER in render() and "ranks stations" in NEVER and "declines" in NEVER


def test_every_report_label_is_translated():
    titles = {i.title for i in INDICATORS} | {c.title for i in INDICATORS for c in i.categories}
    titles |= {i.total.title for i in INDICATORS if i.total}
    assert not {t for t in titles if gettext_for("zh_Hans_CN", t) == t}
