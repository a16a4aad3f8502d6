"""gettext catalogs: Simplified Chinese first, English second, for everything people read.

Catalogs are plain .po files in kiosk/locale (no build step): they are compiled
in memory on first use with Babel. ``bilingual()`` gives "中文 / English" for
consoles and logs a technician reads.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "zh_CN"


@functools.lru_cache(maxsize=None)
def translations(locale: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(locale: str, message: str, **values: object) -> str:
    text = translations(locale).gettext(message)
    return text.format(**values) if values else text


def bilingual(message: str, **values: object) -> str:
    """'中文 / English' (just the English when no translation exists yet)."""
    english = message.format(**values) if values else message
    chinese = gettext_for(DEFAULT_LOCALE, message, **values)
    return english if chinese == english else f"{chinese} / {english}"
