"""Search keys and the voice without pypinyin's phrase dictionary (issue 21: the station's memory budget).

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


# The peak RSS of this process's own memory (VmHWM, in kB). Not getrusage's ru_maxrss: Linux
# carries that over from the parent across fork and exec, so a child of a 100 MB pytest worker
# starts at 100 MB whatever it does.
PEAK = """
def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
"""

PROBE = PEAK + """
import sys
from kiosk.store import search_keys
before = peak_kb()
search_keys.warm_up()
keys = search_keys.name_keys("曾重行")
after = peak_kb()
import pypinyin.constants
print(len(pypinyin.constants.PHRASES_DICT), "pypinyin.phrases_dict" in sys.modules,
      (after - before) // 1024, "zengchongxing" in keys and "zczx" not in keys and "zcx" in keys)
"""


def test_making_keys_never_loads_the_phrase_dictionary():
    phrases, imported, grown_mb, found = run_python("-c", PROBE).split()
    assert (phrases, imported, found) == ("0", "False", "True")
    assert int(grown_mb) < 20, f"making keys grew the process by {grown_mb} MB"


VOICE = PEAK + """
import sys
from kiosk.adapters.mandarin import learn_phrases, pinyin_reading
from kiosk.station.announcer import sentence
from kiosk.store import search_keys
search_keys.warm_up()  # the station's order: the keys' pypinyin first, then the voice's
learned = learn_phrases(["预防接种门诊", "处置室", "诊室1"])
said = [pinyin_reading(sentence(n, room, "cmn")) for n, room in
        ((8, "预防接种门诊"), (105, "处置室"), (2, "诊室1"))]
import pypinyin.constants
print(learned, len(pypinyin.constants.PHRASES_DICT), "pypinyin.phrases_dict" in sys.modules,
      peak_kb() // 1024)
print("\\n".join(said))
"""


def test_the_voice_reads_room_names_in_context_without_the_phrase_dictionary():
    """The voice's room names as pypinyin's whole dictionary reads them (接种 jie1 zhong4),
    learned in a process of its own; the station's process never loads the dictionary."""
    first, *said = run_python("-c", VOICE).splitlines()
    learned, phrases, imported, rss_mb = first.split()
    assert (learned, phrases, imported) == ("3", "0", "False")
    assert int(rss_mb) < 60, f"the process grew to {rss_mb} MB"
    assert "jie1 zhong4 men2 zhen3" in said[0]  # read alone, 种 would be zhong3
    assert "yi4 bai3 ling2 wu3 hao4 dao4 chu3 zhi4 shi4" in said[1]  # not 到处 dao4 chu4
    assert said[2] == "qing3 er4 hao4 dao4 zhen3 shi4 yi1 jiu4 zhen3"
