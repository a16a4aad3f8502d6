"""Every message a person reads has its Simplified Chinese translation."""

import ast
from pathlib import Path

import kiosk
from kiosk.i18n import bilingual, gettext_for

PACKAGE = Path(kiosk.__file__).parent


def bilingual_msgids():
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "bilingual"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                yield node.args[0].value


def test_every_bilingual_message_is_translated():
    missing = {m for m in bilingual_msgids() if gettext_for("zh_Hans_CN", m) == m}
    assert not missing


def test_doctor_check_names_are_translated():
    source = (PACKAGE / "ops" / "doctor.py").read_text(encoding="utf-8")
    names = {n.args[0].value for n in ast.walk(ast.parse(source))
             if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Check"
             and isinstance(n.args[0], ast.Constant)}
    assert names and all(gettext_for("zh_Hans_CN", n) != n for n in names)


def test_chinese_first_english_second():
    assert bilingual("Queue number") == "排队号 / Queue number"


def test_reader_status_texts_are_translated():
    from kiosk.station.console import STATUS_TEXT
    assert all(gettext_for("zh_Hans_CN", text) != text for text in STATUS_TEXT.values())


def test_compiled_catalogs_match_their_sources():
    import gettext
    import io

    from kiosk.i18n import LOCALE_DIR, compile_catalog

    def messages(data):
        catalog = gettext.GNUTranslations(io.BytesIO(data))._catalog
        return {k: v for k, v in catalog.items() if k}  # the header carries a timestamp

    for po in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"):
        locale = po.parent.parent.name
        assert messages(po.with_suffix(".mo").read_bytes()) == messages(compile_catalog(locale)), \
            f"run: python -m kiosk.i18n ({locale} .mo is out of date)"


def test_every_template_string_is_translated():
    import re
    pattern = re.compile(r'_\("([^"]+)"')
    missing = set()
    for template in (PACKAGE / "web" / "templates").rglob("*.html"):
        for msgid in pattern.findall(template.read_text(encoding="utf-8")):
            if gettext_for("zh_Hans_CN", msgid) == msgid:
                missing.add(msgid)
    assert not missing


def kept_msgids():
    """Messages held in variables: Invalid(field, "..."), N_("..."), error="...", labels."""
    from kiosk.web.labels import ALL
    yield from ALL
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", "")
            if name == "Invalid" and len(node.args) == 2 and isinstance(node.args[1], ast.Constant):
                yield node.args[1].value
            if name == "N_" and node.args and isinstance(node.args[0], ast.Constant):
                yield node.args[0].value
            for keyword in node.keywords:
                if keyword.arg == "error" and isinstance(keyword.value, ast.Constant):
                    yield keyword.value.value


def test_every_form_and_label_message_is_translated():
    kept = set(kept_msgids())
    assert "This field is required" in kept and "Wrong PIN" in kept
    missing = {m for m in kept if gettext_for("zh_Hans_CN", m) == m}
    assert not missing


def test_county_page_labels_are_translated():
    import re
    missing = set()
    for template in (PACKAGE / "county" / "web" / "templates").rglob("*.html"):
        for msgid in re.findall(r't\("([^"]+)"\)', template.read_text(encoding="utf-8")):
            if gettext_for("zh_Hans_CN", msgid) == msgid:
                missing.add(msgid)
    assert not missing


def test_no_message_is_translated_twice():
    """Branches add their messages in blocks; a merge must not leave two translations of one."""
    import collections
    import re

    from kiosk.i18n import LOCALE_DIR
    for po in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"):
        msgids = re.findall(r'^msgid "(.+)"$', po.read_text(encoding="utf-8"), re.MULTILINE)
        twice = [m for m, n in collections.Counter(msgids).items() if n > 1]
        assert not twice, f"{po}: {twice}"
