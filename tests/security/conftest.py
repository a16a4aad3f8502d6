"""The security tests' fixtures: the technician-page kiosk of tests/web/test_staff_web.py."""

from tests.web.test_staff_web import kiosk, tech_card  # noqa: F401  (fixtures shared from there)
