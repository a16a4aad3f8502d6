"""Finding 10: a small, deeply nested body must not cost the county a traceback per request."""

from __future__ import annotations

import logging


def test_f10_deep_json_is_400_malformed_with_at_most_one_log_line(county_app, caplog):
    store, client, _, _ = county_app
    body = b'{"events": ' + b"[" * 900 + b"]" * 900 + b"}"  # about 2 KB, 900 levels
    with caplog.at_level(logging.DEBUG):
        response = client.post("/api/v1/stations/st-1/events", data=body,
                               content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "malformed"
    assert "nested" in response.json["detail"]
    assert len(caplog.records) <= 1 and "Traceback" not in caplog.text
    assert store.count() == 0


def test_f10_many_values_are_refused_before_parsing(county_app):
    _, client, _, _ = county_app
    body = b'{"events": [' + b",".join([b"0"] * 120_000) + b"]}"
    response = client.post("/api/v1/stations/st-1/events", data=body,
                           content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "malformed"


def test_f10_an_ordinary_batch_still_passes_the_shape_check():
    import json

    from kiosk.protocol.sync import check_shape
    event = {"payload": {"items": [{"id": "a", "window": [1, 2]}], "note": 'say "[[[[" \\'}}
    check_shape(json.dumps({"events": [event] * 500}).encode())
