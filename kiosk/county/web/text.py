"""Text on the county's pages: Chinese first, English second (kiosk.i18n's catalogs)."""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup, escape

from kiosk.i18n import DEFAULT_LOCALE, bilingual, gettext_for


def both(message: str) -> Markup:
    """Chinese first, then English marked as English (WCAG 3.1.2, language of parts)."""
    chinese = gettext_for(DEFAULT_LOCALE, message)
    if chinese == message:
        return Markup('<span lang="en">{}</span>').format(message)
    return Markup('{} <span lang="en">/ {}</span>').format(escape(chinese), message)


def install(app: Flask) -> None:
    app.add_template_global(bilingual, "t")
    app.add_template_global(both, "tt")
