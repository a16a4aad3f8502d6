"""The demo's one-click sign-in (kiosk/county/services/demo_sign_in.py): in the demo's county a
one-time link signs the demo officer in, once, from this machine only; a county built the
way `kiosk-county serve` builds it has no such route, and no setting gives it one."""

from __future__ import annotations

import pytest

from kiosk.county.config import load_county_config
from kiosk.county.domain.errors import UserRefused
from kiosk.county.services.demo_sign_in import LINK_SECONDS, DemoSignIn
from kiosk.county.web.app import create_county_app
from kiosk.errors import ConfigError
from tests.county.conftest import CountyWeb


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    web = CountyWeb(str(tmp_path_factory.mktemp("demo-sign-in") / "county.db"))
    web.sign_in = DemoSignIn(web.store, web.clock, "olga")  # olga: an officer, no TOTP
    web.app = create_county_app(web.services, demo_sign_in=web.sign_in)
    yield web
    web.store.close()


def visit(web, token: str, address: str = "127.0.0.1", **headers: str):
    client = web.client(address)
    return client, client.get(f"/demo-login/{token}?next=/reports", headers=headers)


def test_the_link_signs_the_demo_officer_in_once(web):
    token = web.sign_in.link_token()
    client, response = visit(web, token)  # the test client asks for host "localhost"
    assert response.status_code == 302 and response.headers["Location"] == "/reports"
    page = client.get("/reports")
    assert page.status_code == 200 and "olga" in page.get_data(as_text=True)
    assert visit(web, token)[1].status_code == 403  # used up
    entry = web.services.audit.entries(limit=5)
    assert any(e.action == "login" and e.actor == "olga" and e.detail == "demo link"
               for e in entry)


@pytest.mark.parametrize("address, headers", [
    ("192.168.1.20", {}),                                # another machine
    ("127.0.0.1", {"X-Forwarded-For": "127.0.0.1"}),     # through a proxy, even a local one
    ("127.0.0.1", {"Forwarded": "for=127.0.0.1"}),
    ("127.0.0.1", {"Host": "attacker.example:8700"}),    # a DNS-rebinding page
])
def test_the_link_works_only_from_this_machine(web, address, headers):
    token = web.sign_in.link_token()
    client, response = visit(web, token, address, **headers)
    assert response.status_code == 403
    assert client.get("/reports").status_code == 302  # to the login form: nobody signed in


def test_a_link_expires_and_an_unknown_one_is_refused(web):
    token = web.sign_in.link_token()
    web.clock.advance(seconds=LINK_SECONDS + 1)
    assert visit(web, token)[1].status_code == 403
    assert visit(web, "not-a-token")[1].status_code == 403


def test_it_signs_in_no_admin_auditor_or_officer_with_an_authenticator(web):
    for name in ("ada", "aud", "nobody"):
        with pytest.raises(UserRefused):
            DemoSignIn(web.store, web.clock, name).link_token()
    web.services.users.add("console", "otto", "officer", web.PASSWORD, web.TOTP, web.code())
    with pytest.raises(UserRefused):
        DemoSignIn(web.store, web.clock, "otto").link_token()


def test_the_link_stops_working_when_the_officer_is_disabled(web):
    web.services.users.add("console", "dora", "officer", web.PASSWORD)
    sign_in = DemoSignIn(web.store, web.clock, "dora")
    token = sign_in.link_token()
    web.services.users.disable("console", "dora")
    app = create_county_app(web.services, demo_sign_in=sign_in)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    assert client.get(f"/demo-login/{token}").status_code == 403


def test_a_county_server_has_no_demo_link_and_no_setting_gives_it_one(tmp_path, web):
    """`kiosk-county serve` builds its app through County.app(): no demo route, 404 for any
    token, even one the demo minted; county.toml refuses any key that would ask for it."""
    from kiosk.county.bootstrap import build_county
    from kiosk.keys import generate_key_file
    config = load_county_config(tmp_path)
    generate_key_file(config.key_file)
    county = build_county(config)
    try:
        app = county.app()
        assert not [r for r in app.url_map.iter_rules() if "demo" in r.rule]
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "127.0.0.1"
        assert client.get(f"/demo-login/{web.sign_in.link_token()}").status_code == 404
    finally:
        county.close()
    (tmp_path / "county.toml").write_text("[county]\ndemo_sign_in = true\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_county_config(tmp_path)
