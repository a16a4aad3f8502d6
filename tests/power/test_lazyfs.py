"""The power-cut file system keeps exactly what was synced: file data after fsync of the file,
names after fsync of their directory; SQLite in WAL mode with synchronous=FULL survives it."""

from __future__ import annotations

import mmap
import os
import random
import sqlite3
import subprocess
import sys
import time

from kiosk.keys import generate_key_file, load_key_file


def write(path, data: bytes, sync: bool = False, offset: int | None = None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        if offset is None:
            os.ftruncate(fd, 0)
        os.pwrite(fd, data, offset or 0)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def sync_dir(path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def power_cut(fs, torn_seed=None):
    fs.cut(torn_seed=torn_seed)
    return fs.mount()


def test_synced_data_is_kept_and_unsynced_data_is_dropped(lazyfs):
    mnt = lazyfs.mountpoint
    write(mnt / "a", b"synced", sync=True)
    sync_dir(mnt)
    write(mnt / "a", b"XXXXXX-and-more", offset=0)  # written, never synced
    assert (mnt / "a").read_bytes() == b"XXXXXX-and-more"  # readers see it before the cut
    mnt = power_cut(lazyfs)
    assert (mnt / "a").read_bytes() == b"synced"


def test_fdatasync_counts_as_a_sync(lazyfs):
    mnt = lazyfs.mountpoint
    write(mnt / "a", b"")
    sync_dir(mnt)
    fd = os.open(mnt / "a", os.O_WRONLY)
    os.write(fd, b"kept")
    os.fdatasync(fd)
    os.write(fd, b"-lost")
    os.close(fd)  # close is no sync
    assert (power_cut(lazyfs) / "a").read_bytes() == b"kept"


def test_a_created_file_needs_its_directory_synced(lazyfs):
    mnt = lazyfs.mountpoint
    write(mnt / "data-synced-name-not", b"x", sync=True)
    (mnt / "sub").mkdir()
    sync_dir(mnt)  # names "sub" and the first file; not the file created after it
    write(mnt / "sub" / "name-synced-data-not", b"lost")
    sync_dir(mnt / "sub")
    write(mnt / "late", b"y", sync=True)
    mnt = power_cut(lazyfs)
    assert sorted(os.listdir(mnt)) == ["data-synced-name-not", "sub"]
    assert (mnt / "sub" / "name-synced-data-not").read_bytes() == b""  # the name, no data
    assert (mnt / "data-synced-name-not").read_bytes() == b"x"


def test_rename_and_unlink_need_the_directory_synced(lazyfs):
    mnt = lazyfs.mountpoint
    for name in ("old", "gone", "renamed-durably"):
        write(mnt / name, name.encode(), sync=True)
    sync_dir(mnt)
    os.rename(mnt / "old", mnt / "new")
    os.unlink(mnt / "gone")
    mnt = power_cut(lazyfs)
    assert sorted(os.listdir(mnt)) == ["gone", "old", "renamed-durably"]
    os.rename(mnt / "renamed-durably", mnt / "now")
    sync_dir(mnt)
    mnt = power_cut(lazyfs)
    assert sorted(os.listdir(mnt)) == ["gone", "now", "old"]
    assert (mnt / "now").read_bytes() == b"renamed-durably"


def test_torn_write_keeps_a_prefix_of_the_last_unsynced_write_only(lazyfs):
    mnt, seen = lazyfs.mountpoint, set()
    for seed in range(6):
        write(mnt / "a", b"A" * 8192, sync=True)
        sync_dir(mnt)
        write(mnt / "a", b"C" * 100, offset=6000)  # an earlier unsynced write: dropped
        write(mnt / "a", b"B" * 4096, offset=0)  # the last one: a prefix may stay
        mnt = power_cut(lazyfs, torn_seed=seed)
        data = (mnt / "a").read_bytes()
        kept = len(data) - len(data.lstrip(b"B"))
        assert data == b"B" * kept + b"A" * (8192 - kept)
        seen.add(kept)
    assert len(seen) > 1


def test_shared_mmap_works_between_processes(lazyfs):
    mnt = lazyfs.mountpoint
    write(mnt / "shm", bytes(32768))
    with open(mnt / "shm", "r+b") as f, mmap.mmap(f.fileno(), 32768) as mem:
        mem[100:105] = b"hello"
        other = subprocess.run([sys.executable, "-c", "import mmap,sys; f=open(sys.argv[1],'r+b');"
                                "m=mmap.mmap(f.fileno(),32768); print(m[100:105].decode())",
                                str(mnt / "shm")], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == "hello"


def test_a_new_station_key_survives_a_power_cut(lazyfs):
    """generate_key_file makes the key's name durable (rename, then fsync of the directory)."""
    key = generate_key_file(lazyfs.mountpoint / "station.key")
    mnt = power_cut(lazyfs)
    assert load_key_file(mnt / "station.key").public_bytes() == key.public_bytes()


WRITER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, pad BLOB)")
n = db.execute("SELECT coalesce(max(id), 0) FROM t").fetchone()[0]
while True:
    n += 1
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (?, randomblob(?))", (n, 100 + n % 3000))
    db.execute("COMMIT")
    print(n, flush=True)
"""


def test_sqlite_wal_full_keeps_every_commit_through_torn_power_cuts(lazyfs, tmp_path):
    """A writer process prints each id after COMMIT returns; power is cut at random moments
    (torn last writes, the -shm file mmap'ed); afterwards integrity is ok and every printed
    id is there."""
    rng, printed = random.Random(14), []
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    for cut in range(8):
        db = lazyfs.mountpoint / "t.db"
        proc = subprocess.Popen([sys.executable, str(script), str(db)], stdout=subprocess.PIPE,
                                text=True)
        time.sleep(rng.uniform(0.3, 0.8))
        lazyfs.cut([proc], torn_seed=cut)
        printed += [int(line) for line in proc.stdout.read().split()]
        proc.stdout.close()
        lazyfs.mount()
        check = sqlite3.connect(f"file:{db}?mode=ro", uri=True)  # the writer recovers the WAL itself
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {row[0] for row in check.execute("SELECT id FROM t")}
        check.close()
        assert set(printed) <= ids, sorted(set(printed) - ids)[:5]
    assert len(printed) > 100
    assert lazyfs.cuts == 8
