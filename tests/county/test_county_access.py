"""Access over the county app's URL map, generated from Flask's url_map (not typed by hand):
every route but the public ones and the station API refuses without a session; the station
API refuses without a station signature; each role reaches only its own pages. On SQLite and
PostgreSQL (the sessions are stored)."""

from __future__ import annotations

import pytest

PUBLIC = {"public.healthz", "public.county_public_key", "auth.login"}
STATION_API = {"station_events", "station_roster", "station_restore", "station_visitors",
               "station_card_auth"}
# Which roles each blueprint of people's pages is for: a new blueprint fails this test
# until it is given its roles here (and in kiosk/county/web/pages/guard.py's ACCESS).
ROLES_OF = {"account": {"admin", "officer", "auditor"}, "admin": {"admin"},
            "reports": {"officer"}, "auditor": {"auditor"}}
ARGUMENTS = {"station_id": "st-1", "name": "nobody"}


def routes(app):
    """(endpoint, blueprint, method, path) of every route, with sample arguments filled in."""
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", ARGUMENTS[argument])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, rule.endpoint.split(".")[0], method, path


def test_every_blueprint_has_a_decision(county_web):
    blueprints = {blueprint for _e, blueprint, _m, _p in routes(county_web.app)}
    assert blueprints == set(ROLES_OF) | STATION_API | {"public", "auth"}


def test_every_route_but_the_public_ones_refuses_without_a_session(county_web):
    client = county_web.client("10.0.0.1")
    checked = 0
    for endpoint, blueprint, method, path in routes(county_web.app):
        response = client.open(path, method=method)
        if endpoint in PUBLIC:
            assert response.status_code == 200, (method, path)
            continue
        checked += 1
        if blueprint in STATION_API:  # no station signature: refused, as JSON
            assert response.status_code in (400, 403) and response.is_json, (method, path)
        elif method == "GET" and path.startswith("/api/"):  # a program, not a person: 401
            assert response.status_code == 401, (method, path, response.status_code)
        elif method == "GET":
            assert response.status_code == 302, (method, path, response.status_code)
            assert response.headers["Location"].startswith("/login"), (method, path)
        else:  # a POST without the session's CSRF token: refused for that first (a route
            # left out of the CSRF check would answer 401 for the missing session instead)
            assert response.status_code == 400, (method, path, response.status_code)
        assert b"<table" not in response.data, (method, path)  # no page content leaks
    assert checked >= 15


def test_a_post_with_a_token_but_no_session_still_refuses(county_web):
    client = county_web.client("10.0.0.2")
    for _endpoint, blueprint, method, path in routes(county_web.app):
        if method == "POST" and blueprint in ROLES_OF:
            response = county_web.post(client, path)
            assert response.status_code == 401, (path, response.status_code)


@pytest.mark.parametrize("role, user", [("admin", "ada"), ("officer", "olga"), ("auditor", "aud")])
def test_each_role_reaches_only_its_pages(county_web, role, user):
    client = county_web.client(f"10.0.1.{len(user)}")
    assert county_web.login(client, user).status_code == 302
    reached = set()
    for endpoint, blueprint, method, path in routes(county_web.app):
        if blueprint not in ROLES_OF:
            continue
        response = client.get(path) if method == "GET" else county_web.post(client, path)
        if role in ROLES_OF[blueprint]:
            # past the guard: the view ran (400: a route whose required parameter, like a
            # summary's month, this walk does not give)
            assert response.status_code in (200, 302, 400, 404), (role, method, path,
                                                                   response.status_code)
            assert not response.headers.get("Location", "").startswith("/login"), (role, path)
            reached.add(endpoint)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
    assert reached and all(e.split(".")[0] in ROLES_OF and role in ROLES_OF[e.split(".")[0]]
                           for e in reached)
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] != "/login"
    assert client.get(home.headers["Location"]).status_code == 200


def test_metrics_with_the_token_or_a_login(county_web):
    from kiosk.county.services import WebSettings
    app = county_web.new_app(WebSettings(metrics_token="t" * 40))
    client = app.test_client()
    assert client.get("/metrics").status_code == 302
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 302
    response = client.get("/metrics", headers={"Authorization": "Bearer " + "t" * 40})
    assert response.status_code == 200 and b"kiosk_county_events_stored" in response.data
    assert client.get("/audit", headers={"Authorization": "Bearer " + "t" * 40}).status_code == 302
