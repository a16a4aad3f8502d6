"""One writer per database at the county (issue 14): with three stations pushing at once over
real HTTP (waitress, several server threads), roster pulls, an enrolment and a revocation, every
write to the county's SQLite file comes from one connection on one thread, the store's writer
thread; the server threads read through read-only connections of their own."""

from __future__ import annotations

import json
import threading

import waitress

from kiosk.adapters.county import HttpCountyLink
from kiosk.bootstrap import build_core
from kiosk.config.loader import load_config
from kiosk.county.bootstrap import county_app, open_store_at
from kiosk.keys import generate_key_file
from kiosk.store import database
from kiosk.store.sync_log import sync_state
from kiosk.sync.worker import SyncWorker
from kiosk.testing.station import write_station_config


def test_one_writer_thread_under_concurrent_pushes(tmp_path, monkeypatch):
    trace = tmp_path / "sql.trace"
    monkeypatch.setenv("KIOSK_SQL_TRACE", str(trace))
    county_key = generate_key_file(tmp_path / "county" / "county.key")
    path = tmp_path / "county" / "county.db"
    store = open_store_at(str(path))
    cores = []
    for n in range(3):
        config_path = write_station_config(tmp_path / f"st-{n}", None, station_id=f"st-{n}")
        generate_key_file(load_config(config_path).station.key_file)
        core = build_core(load_config(config_path))
        for i in range(120):
            with core.uow() as uow:
                uow.record("test.thing", {"n": i})
                uow.commit()
        store.enroll(core.config.station.id, core.key.public_bytes().hex(), "2026-12-01T00:00:00Z")
        cores.append(core)
    app = county_app(store, county_key)
    server = waitress.create_server(app, host="127.0.0.1",
                                    port=0, threads=4)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.effective_port}"
    errors: list[BaseException] = []

    def push(core) -> None:
        try:
            link = HttpCountyLink(url)
            worker = SyncWorker(core.writer, link, core.config.station.id, county_key.public,
                                batch_events=15)
            worker.push_pending()
            link.roster(core.config.station.id, "", core.key)
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    pushers = [threading.Thread(target=push, args=(core,)) for core in cores]
    for thread in pushers:
        thread.start()
    store.enroll("st-late", "ab" * 32, "2026-12-01T00:00:00Z")  # the IT officer, meanwhile
    for thread in pushers:
        thread.join(120)
    app.extensions["county"].stations.revoke("st-late")
    server.close()
    assert errors == []
    for core in cores:
        assert sync_state(core.db).backlog == 0
        assert store.count(core.config.station.id) == 121
        core.close()
    store.close()

    name = str(path.resolve())
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    mine = [r for r in records if r.get("open", r.get("write")) == name]
    opened = {r["conn"]: (r["mode"], r["thread"]) for r in mine if "open" in r}
    assert [mode for mode, _ in opened.values()].count("writer") == 1, opened
    assert {mode for mode, _ in opened.values()} == {"writer", "readonly"}
    assert len(opened) >= 3  # the server threads read on their own connections
    writes = {(r["conn"], r["thread"]) for r in mine if "write" in r}
    assert {thread for _, thread in writes} == {"county-writer"}
    assert {conn for conn, _ in writes} == {c for c, (mode, _) in opened.items() if mode == "writer"}
    assert database.opened[(name, "writer")] == 1
