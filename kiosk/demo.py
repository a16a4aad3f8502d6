"""`kiosk demo`: the whole station on one machine with virtual cards and demo residents."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

from kiosk.adapters.clock import SystemClock
from kiosk.config import load_config
from kiosk.demo_data import DEMO_RESIDENTS, demo_card_uid, seed_demo
from kiosk.domain.model import local_date
from kiosk.i18n import bilingual


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kiosk-demo"


def _write_config(state: Path, reader_kind: str, socket_path: str, port: int) -> Path:
    path = state / "kiosk.toml"
    path.write_text(
        "# Written by `kiosk demo`.\n[station]\nid = \"demo-station\"\nname = \"示范卫生服务站\"\n"
        f"data_dir = \"{state}\"\n\n[reader]\nkind = \"{reader_kind}\"\n"
        f"pcscd_socket = \"{socket_path}\"\nvpcd_port = {port}\n\n[log]\nlevel = \"WARNING\"\n",
        encoding="utf-8")
    return path


def run_demo(state_dir: Path | None, reset: bool = False) -> None:
    from kiosk.adapters.pcscd_harness import HarnessError, PcscdHarness
    from kiosk.bootstrap import build_core
    from kiosk.keys import generate_key_file
    from kiosk.runner import run_station

    state = state_dir or default_state_dir()
    if reset and state.exists():
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    harness = PcscdHarness(state / "pcscd")
    try:
        harness.start()
        config_file = _write_config(state, "pcsc", str(harness.socket_path), harness.base_port)
        print(bilingual("Virtual card reader ready") + f" (pcscd + vpcd, port {harness.base_port})")
    except HarnessError as exc:
        harness = None
        config_file = _write_config(state, "fake", "", 35963)
        print(bilingual("pcscd/vpcd not available, using the built-in fake reader") + f": {exc}")
    config = load_config(config_file)
    if not config.key_file.exists():
        generate_key_file(config.key_file)
    core = build_core(config)
    with core.uow() as uow:
        seed_demo(uow, local_date(SystemClock().now(), config.timezone))
        uow.commit()
    core.db.conn.close()
    reader = None
    if harness is None:
        from kiosk.adapters.fake_reader import FakeCardReader
        reader = FakeCardReader()
    stop = threading.Event()
    station = threading.Thread(target=run_station, args=(config,),
                               kwargs={"reader": reader, "stop": stop}, daemon=True)
    station.start()
    try:
        _prompt_loop(config_file, harness, reader, stop)
    finally:
        stop.set()
        station.join(timeout=5)
        if harness:
            harness.stop()


def _prompt_loop(config_file: Path, harness, reader, stop: threading.Event) -> None:
    print(bilingual("Demo cards") + ":")
    for index, (short, name, uid, village, _born) in enumerate(DEMO_RESIDENTS, start=1):
        print(f"  {index}) {short:6} {name}  {village}  UID {uid}")
    print(f"  0) unknown  ({bilingual('a card nobody registered')})")
    print(bilingual("Type a number and Enter to tap that card; q to quit.") +
          f"\n  kiosk --config {config_file} tap wang")
    if not sys.stdin.isatty():
        stop.wait()
        return
    from kiosk.adapters.virtual_card import VirtualCard, tap
    from kiosk.domain.cards import parse_uid
    for line in sys.stdin:
        choice = line.strip()
        if choice in ("q", "quit", "exit"):
            return
        if not choice:
            continue
        try:
            uid = parse_uid(demo_card_uid(choice))
        except ValueError:
            print(bilingual("Not a card name or UID"))
            continue
        if harness:
            threading.Thread(target=tap, args=(harness.base_port, VirtualCard(uid)),
                             daemon=True).start()
        else:
            reader.tap(uid)
