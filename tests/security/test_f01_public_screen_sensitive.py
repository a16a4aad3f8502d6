"""Finding 1: the public screen named sensitive services ("下次随访: 孕中期检查 ...").

A resident is tapped in for every item of every sensitive shipped plan, in Debian's Chromium
fed by real taps through pcscd; the screen every open page shows must carry the items' dates
and none of their names (unless ``ui.show_service_names`` is set).
"""

import datetime as dt

import pytest

from kiosk.bootstrap import build_core
from kiosk.config.care_plans import load_plans
from kiosk.config.loader import load_config
from kiosk.domain.model import FollowUpStatus, Resident, local_date
from kiosk.keys import generate_key_file
from kiosk.sim.wallet import issue_virtual_card
from kiosk.testing.station import write_station_config
from tests.browser.chromium import free_port, open_page, tap
from tests.browser.station_rig import station_in_chromium

pytestmark = [pytest.mark.pcsc, pytest.mark.browser]
SENSITIVE = [(plan, n) for plan in load_plans(None).values() if plan.sensitive
             for n in range(len(plan.items))]


def names(title: str) -> list[str]:
    """'孕中期检查 Mid-pregnancy check (16-20 wk)' -> the whole title and each language's half."""
    chinese, _, english = title.partition(" ")
    return [title, chinese, english]


def seed(core, today: dt.date) -> list:
    """One consenting resident per sensitive item, enrolled so that item is her next visit."""
    cards, shown = [], set()
    with core.uow() as uow:
        for number in range(len(SENSITIVE)):
            uow.residents.add(Resident(f"sens-{number}", f"测试居民{number}", "1990-01-01", "测试村",
                                       consent_version="health-data-consent-v1"))
        uow.commit()
    for number, (plan, n) in enumerate(SENSITIVE):
        start = (today - dt.timedelta(days=plan.items[n].earliest)).isoformat()
        core.care.enrol(f"sens-{number}", plan.id, {a: start for a in plan.anchors()}, "test")
        with core.uow() as uow:
            status = FollowUpStatus.from_items(uow.care_items.for_resident(f"sens-{number}"), today)
        assert status.next_item and status.next_item.title == plan.items[n].title
        shown.update(i.title for i in (status.next_item, *status.overdue[:2]))
        uid = bytes([0x04, 0x5E, number, 0x01])
        cards.append(issue_virtual_card(core, "resident", f"sens-{number}", uid, "mifare"))
    assert shown == {plan.items[n].title for plan, n in SENSITIVE}  # every name would be shown
    return cards


@pytest.fixture(scope="module")
def rig(pcscd, tmp_path_factory):
    config_path = write_station_config(tmp_path_factory.mktemp("f01"), pcscd,
                                       ui_port=free_port(), idle_seconds=30)
    config = load_config(config_path)
    generate_key_file(config.station.key_file)
    core = build_core(config)
    cards = seed(core, local_date(core.clock.now(), config.station.timezone))
    core.close()
    with station_in_chromium(pcscd, config_path) as (station, browser, driver):
        yield station, browser, driver, cards


def test_f01_public_screen_shows_sensitive_items_by_date_only(rig):
    station, browser, driver, cards = rig
    page = open_page(browser, station.ui_url)
    forbidden = {part for plan, n in SENSITIVE for part in names(plan.items[n].title)}
    forbidden |= {part for plan, _n in SENSITIVE for part in names(plan.name)}
    for number, card in enumerate(cards, start=1):
        tap(driver, card)
        page.wait_for_function(
            "n => document.querySelector('#screen #queue-number')?.textContent === String(n)",
            arg=number, timeout=8000)
        screen = page.inner_text("#screen")
        assert "→" in screen  # her next visit is there, by its date
        dom = page.content()
        assert not [part for part in forbidden if part in dom], screen
        reopened = browser.new_page()  # a page opened just after the tap shows it too
        reopened.goto(station.ui_url)
        assert not [part for part in forbidden if part in reopened.content()]
        reopened.close()
    page.close()


@pytest.mark.parametrize("configured", [False, True])
def test_f01_service_names_only_when_configured(tmp_path, clock, configured):
    extra = "show_service_names = true\n" if configured else ""  # lands in [ui]
    config = load_config(write_station_config(tmp_path / "st", None, extra=extra))
    generate_key_file(config.station.key_file)
    core = build_core(config, clock=clock)
    shown = core.checkins.names_shown
    assert [shown(plan.id) for plan, _n in SENSITIVE] == [configured] * len(SENSITIVE)
    assert shown("pre-pregnancy")  # not sensitive: named on the screen
    assert shown("a-plan-from-elsewhere") is configured  # unknown here: treated as sensitive
    core.close()
