"""The one writing connection of a database file, and the lock that says who holds it.

SQLite 3.7.0 to 3.51.2 can lose committed transactions when two connections write or
checkpoint one WAL database at the same time (the "WAL-reset bug"; Debian 12 ships 3.40.1).
So each database file has exactly one writer, whatever the version:

- ``Writer`` is the station's: one connection in one process, taken with an exclusive
  ``flock`` on ``<database>-writer.lock`` held for as long as it is open. Units of work from
  every thread of that process (the tap loop, the pages, the spooler, sync) run on it one at a
  time under its lock, from BEGIN IMMEDIATE to COMMIT, as Datasette's write thread runs its
  queue one function at a time. Another process that wants to write (`kiosk technician add`
  while `kiosk serve` runs) gets ``StationRunning`` instead of a second writer.
- ``WriteThread`` is the county's: a thread that owns the connection and runs the functions
  handed to it one after another (Datasette's ``execute_write_fn``, blocking), each in one
  transaction while it holds the file's flock, so a `kiosk-county` command writing while the
  server runs waits its turn instead of writing beside it.

Every other connection is read-only (``database.connect_readonly``) and so never checkpoints.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from kiosk.errors import KioskError, StoreError, StoreUnavailable
from kiosk.i18n import bilingual
from kiosk.store.database import connect_writer, open_database

T = TypeVar("T")


class StationRunning(KioskError, RuntimeError):
    """Another process (the running station) holds the database's writer."""

    def __init__(self, database: Path):
        self.database = database
        super().__init__(bilingual(
            "The station is running and is the only writer of its database; stop it first "
            "(sudo systemctl stop kiosk), or use the station's own pages") + f" ({database})")


def lock_path(database: str | Path) -> Path:
    return Path(f"{Path(database).resolve()}-writer.lock")


_locks: dict[str, list[int]] = {}  # lock file -> [descriptor, users] held by this process
_locks_guard = threading.Lock()


class WriterLock:
    """The exclusive flock that makes a process the database's writer; released on close
    (and by the kernel when the process dies, so a power cut or SIGKILL leaves none behind).
    Within one process the lock is shared: `kiosk restore` may take it, then open the
    ``Writer`` it rebuilds the database with."""

    def __init__(self, database: str | Path, wait: float = 0.0):
        self.database, self._key, self._held = Path(database), str(lock_path(database)), False
        with _locks_guard:
            if self._key in _locks:
                _locks[self._key][1] += 1
                self._held = True
                return
        Path(self._key).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._key, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StationRunning(self.database) from None
                time.sleep(0.1)
        with _locks_guard:
            _locks[self._key] = [fd, 1]
            self._held = True

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        with _locks_guard:
            entry = _locks[self._key]
            entry[1] -= 1
            if entry[1] == 0:
                del _locks[self._key]
                os.close(entry[0])  # closing the descriptor drops the flock


def take_writer_lock(database: str | Path, wait: float = 0.0) -> WriterLock:
    """Become the database's only writer (e.g. `kiosk restore` before it rebuilds the file), or
    raise ``StationRunning`` after ``wait`` seconds; call ``release()`` when done. A
    ``Writer.open`` of the same file in this process meanwhile shares the lock."""
    return WriterLock(database, wait)


def station_running(database: str | Path) -> bool:
    """Whether another process holds the database's writer (this process's own does not count)."""
    if str(lock_path(database)) in _locks:
        return False
    if not lock_path(database).exists():
        return False
    try:
        take_writer_lock(database).release()
    except StationRunning:
        return True
    return False


_writers: dict[str, Writer] = {}
_registry = threading.Lock()


class Writer:
    """The station database's one writing connection in this process (shared by every
    ``Writer.open`` of the same file until the last ``close``), migrated when opened."""

    def __init__(self, database: Path, lock: WriterLock, migrate: bool = True):
        self.database, self._lock_file = database, lock
        self.lock = threading.RLock()  # one unit of work at a time, from BEGIN to COMMIT
        try:
            self.db: Database = open_database(database) if migrate else connect_writer(database)
        except BaseException:
            lock.release()
            raise
        self._users = 0

    @classmethod
    def open(cls, database: str | Path, wait: float = 0.0, migrate: bool = True) -> Writer:
        """This process's writer of ``database``: the one already open, or a new one if no
        other process holds it (``StationRunning`` otherwise, after ``wait`` seconds); a new
        one brings the schema up to date unless ``migrate`` is false (`kiosk migrate` does it
        itself, with a copy first)."""
        key = str(Path(database).resolve())
        with _registry:
            writer = _writers.get(key)
            if writer is None:
                writer = cls(Path(database), WriterLock(database, wait), migrate)
                _writers[key] = writer
            writer._users += 1
            return writer

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """One unit of work on the writer: committed when the block ends, rolled back if it raises."""
        with self.lock:
            try:
                self.db.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreUnavailable(str(exc)) from exc
            try:
                yield self.db
            except BaseException:
                self.db.conn.execute("ROLLBACK")
                raise
            try:
                self.db.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if self.db.conn.in_transaction:
                    self.db.conn.execute("ROLLBACK")
                raise StoreUnavailable(str(exc)) from exc

    def run(self, fn: Callable[[Database], T]) -> T:
        """``fn(db)`` as one unit of work."""
        with self.transaction() as db:
            return fn(db)

    def close(self) -> None:
        """Let go of this user's share; the last one closes the connection (which checkpoints:
        only the writer ever does) and releases the lock."""
        key = str(self.database.resolve())
        with _registry:  # held to the end, so a new open in this process waits for the lock file
            self._users -= 1
            if self._users > 0:
                return
            if _writers.get(key) is self:
                del _writers[key]
            with self.lock:
                self.db.conn.close()
            self._lock_file.release()


class WriteThread:
    """A thread that owns a database's writing connection and runs the functions submitted to
    it one at a time, each in one transaction (the county's SQLite store)."""

    def __init__(self, opener: Callable[[], sqlite3.Connection], database: str | Path,
                 name: str = "sqlite-writer"):
        self._jobs: queue.Queue[tuple[Callable[[sqlite3.Connection], Any], Future, bool] | None] = (
            queue.Queue())
        self._lock_path = lock_path(database)
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._ready: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(opener,), name=name, daemon=True)
        self._thread.start()
        self._ready.result()  # the opener's error, if any, is raised here

    @contextlib.contextmanager
    def _flock(self) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # a county command in another process waits here
            yield
        finally:
            os.close(fd)

    def _run(self, opener: Callable[[], sqlite3.Connection]) -> None:
        try:
            with self._flock():
                conn = opener()
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        while (job := self._jobs.get()) is not None:
            fn, result, transaction = job
            try:
                with self._flock():
                    result.set_result(self._transaction(conn, fn) if transaction else fn(conn))
            except BaseException as exc:
                result.set_exception(exc)
        with self._flock():
            conn.close()

    @staticmethod
    def _transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            value = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return value

    def submit(self, fn: Callable[[sqlite3.Connection], T], transaction: bool = True) -> T:
        """Run ``fn(conn)`` on the writer thread, in one transaction unless ``transaction`` is
        false (a checkpoint); block for its result (or its exception)."""
        if not self._thread.is_alive():
            raise StoreError("the database's writer thread has stopped")
        result: Future = Future()
        self._jobs.put((fn, result, transaction))
        return result.result()

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)

