"""The county's login page in Debian's Chromium: Chinese first with the English marked as
English, every field labelled, text contrast at least 4.5:1 (WCAG 2.1 AA), a visible focus,
a wrong password announced (role=alert), and an officer signed in lands on her page; the
session cookie is Secure, HttpOnly and SameSite=Strict. A screenshot goes to
test-artifacts/screens/county_login.png."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.county.browser_checks import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, CONTRAST

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from tests.county.conftest import CountyWeb
    web = CountyWeb(str(tmp_path_factory.mktemp("county-browser") / "county.db"))
    server = make_server("127.0.0.1", 0, web.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield web, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    web.store.close()


def test_login_page_in_chromium(served):
    from playwright.sync_api import sync_playwright
    web, url = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 700}, locale="zh-CN")
            page.goto(f"{url}/reports")  # not signed in: to the login page
            assert page.url.startswith(f"{url}/login")
            assert page.get_attribute("html", "lang") == "zh-CN"
            heading = page.locator("h1").inner_text()
            assert heading.startswith("县卫生健康办公室") and heading.endswith("County health office")
            assert page.locator("h1 span[lang=en]").count() == 1  # the English part marked
            for label in ("用户名", "密码", "验证码"):
                assert page.get_by_label(label).count() == 1, label
            worst, where = page.evaluate(CONTRAST)
            assert worst >= 4.5, (worst, where)
            page.keyboard.press("Tab")
            focused = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert focused != "none"

            page.get_by_label("用户名").fill("olga")
            page.get_by_label("密码").fill("not her password")
            page.get_by_role("button", name="登录").click()
            alert = page.get_by_role("alert")
            assert alert.is_visible() and "用户名、密码或验证码错误" in alert.inner_text()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "county_login.png"), full_page=True)

            page.get_by_label("密码").fill(web.PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{url}/reports")
            assert "数据新鲜度" in page.content()
            (cookie,) = [c for c in page.context.cookies() if c["name"] == "county_session"]
            assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            worst, where = page.evaluate(CONTRAST)
            assert worst >= 4.5, (worst, where)
            page.get_by_role("button", name="退出登录").click()
            page.wait_for_url(f"{url}/login")
        finally:
            browser.close()
