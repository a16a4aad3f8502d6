"""Search keys without pypinyin's phrase dictionary (issue 21: the station's memory budget).

A name needs its characters' readings, not the 47,000 phrases that cost the station about
45 MB. Each check runs in a process of its own, so what another test imported does not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_python(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN")}
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_bench_names_get_the_same_keys_as_with_the_phrase_dictionary():
    """The pinyin bench's 68,607 names: the old readings (a given name's reading in context from
    the phrase dictionary first) and the new (the dictionary's most common reading first) make
    the same keys, so every search finds the same residents; against keys version 1 verbatim
    (at most 32 readings) nobody lost a key."""
    found = json.loads(run_python("-m", "tests.store.phrase_readings"))
    assert found["phrases_loaded"] > 40_000  # the reference really read the phrase dictionary
    assert found["names"] > 60_000
    assert found["phrase_context_differs"] > 0  # the old readings did differ, in their order
    assert found["same_builder"] == []
    assert found["lost_since_v1"] == []


PROBE = """
import resource, sys
from kiosk.store import search_keys
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
search_keys.warm_up()
keys = search_keys.name_keys("曾重行")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import pypinyin.constants
print(len(pypinyin.constants.PHRASES_DICT), "pypinyin.phrases_dict" in sys.modules,
      (after - before) // 1024, "zengchongxing" in keys and "zczx" not in keys and "zcx" in keys)
"""


def test_making_keys_never_loads_the_phrase_dictionary():
    phrases, imported, grown_mb, found = run_python("-c", PROBE).split()
    assert (phrases, imported, found) == ("0", "False", "True")
    assert int(grown_mb) < 20, f"making keys grew the process by {grown_mb} MB"
