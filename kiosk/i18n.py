"""gettext catalogs: Simplified Chinese first, English second, for everything people read.

Sources are .po files in kiosk/locale; the compiled .mo files next to them are
committed (Flask-Babel reads .mo) and kept in step by tests/project/test_i18n.py:
after editing a .po, run ``python -m kiosk.i18n`` to recompile.
``bilingual()`` gives "中文 / English" for consoles and logs a technician reads.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "zh_Hans_CN"
LOCALES = ("zh_Hans_CN", "en")


def compile_catalog(locale: str) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    with (LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    mo_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo_path.exists():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(mo_path.read_bytes()))


def gettext_for(locale: str, message: str, **values: object) -> str:
    text = translations(locale).gettext(message)
    return text.format(**values) if values else text


def bilingual(message: str, **values: object) -> str:
    """'中文 / English' (just the English when no translation exists yet)."""
    english = message.format(**values) if values else message
    chinese = gettext_for(DEFAULT_LOCALE, message, **values)
    return english if chinese == english else f"{chinese} / {english}"


if __name__ == "__main__":
    for code in LOCALES:
        if (LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po").exists():
            (LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo").write_bytes(compile_catalog(code))
            print(f"compiled {code}")
