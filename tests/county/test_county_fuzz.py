"""Property-based fuzzing of the county's push endpoint: 1,000 generated requests,
never a 500, and nothing stored from a request that was not a valid batch."""

from __future__ import annotations

import dataclasses
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.county.bootstrap import county_app, open_store_at
from kiosk.keys import StationKey
from kiosk.protocol.sync import FIELDS
from tests.unit.test_events import make_chain

STATION_KEY = StationKey(Ed25519PrivateKey.generate())
GOOD = [vars(e) for e in make_chain(STATION_KEY, 4)]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                       children, max_size=4),
    max_leaves=12)


@st.composite
def mutated_event(draw):
    """A real event with one field dropped, retyped, or changed: never a valid batch."""
    event = dict(draw(st.sampled_from(GOOD)))
    name = draw(st.sampled_from(sorted(FIELDS)))
    how = draw(st.sampled_from(["drop", "retype", "change", "extra"]))
    if how == "drop":
        del event[name]
    elif how == "retype":
        event[name] = draw(json_values.filter(lambda v: type(v) is not FIELDS[name]))
    elif how == "extra":
        event[draw(st.text(min_size=1, max_size=6).filter(lambda k: k not in FIELDS))] = 1
    else:
        value = event[name]
        event[name] = (value + draw(st.integers(1, 5)) if isinstance(value, int)
                       else {**value, "x": 1} if isinstance(value, dict)
                       else value + draw(st.text(min_size=1, max_size=3)))
    return event


bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.lists(mutated_event(), min_size=1, max_size=3).map(
        lambda events: json.dumps({"events": events}).encode()),
    st.builds(lambda extra: json.dumps({"events": GOOD[:2], **extra}).encode(),
              st.dictionaries(st.text(max_size=5), json_values, max_size=2)),
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def county(request, tmp_path_factory):
    if request.param == "postgres":
        store = open_store_at(request.getfixturevalue("postgres").new_database("fuzz"))
    else:
        store = open_store_at(str(tmp_path_factory.mktemp("fuzz") / "county.db"))
    store.enroll("st-1", STATION_KEY.public_bytes().hex(), "t")
    app = county_app(store, StationKey(Ed25519PrivateKey.generate()))
    return store, app.test_client()


@settings(max_examples=1000, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies, station=st.sampled_from(["st-1", "st-1", "st-2", "x" * 70, "%00"]),
       content_type=st.sampled_from(["application/json", "text/plain"]))
def test_no_request_gets_a_500_or_stores_anything_invalid(county, body, station, content_type):
    store, client = county
    response = client.post(f"/api/v1/stations/{station}/events", data=body,
                           content_type=content_type)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json
    # Only the real events of st-1 ever get in (a body with extra top-level keys around
    # the real batch is still that batch); nothing from a mutated event, ever.
    stored = store.count()
    assert stored == store.count("st-1")
    assert [e.hash for e in store.events("st-1")] == [e["hash"] for e in GOOD[:stored]]


def test_the_untouched_batch_is_accepted(county):
    store, client = county
    response = client.post("/api/v1/stations/st-1/events", data=json.dumps({"events": GOOD}),
                           content_type="application/json")
    assert response.status_code == 200 and store.count("st-1") == 4
    altered = dataclasses.replace(make_chain(STATION_KEY, 1)[0])
    assert altered.hash != GOOD[0]["hash"]  # a new chain of the same key: a fork, not stored
    response = client.post("/api/v1/stations/st-1/events",
                           data=json.dumps({"events": [vars(altered)]}),
                           content_type="application/json")
    assert response.status_code == 409 and store.count("st-1") == 4
