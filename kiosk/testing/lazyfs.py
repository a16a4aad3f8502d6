"""A FUSE file system that loses what was never synced, in the spirit of LazyFS.

Every write stays in this process's memory until the file is fsynced (fsync or
fdatasync); a create, rename, unlink or mkdir stays in memory until its directory
is fsynced. The backing directory holds only what was synced: one file per inode
(``ino/N``, its content at its last fsync) and ``tree.json`` (each directory's
entries at its last fsync, and the modes). A power cut is the death of this
process: whatever is in its memory is gone, and the next mount starts from the
backing directory alone. ``kiosk.testing.power`` mounts it, cuts and remounts.

Torn writes (``cut torn``): before dying, keep a random prefix of each file's last
unsynced write, as a disk that lost power mid-write would (never bytes outside the
written range: SQLite's powersafe-overwrite assumption).

Pages are served through the kernel's page cache (no direct_io), so SQLite's
``-shm`` file can be mmap'ed; POSIX locks stay in the kernel (no ``lock`` callback),
which is right for processes on one machine. Links, symlinks and xattrs are not
supported; the station needs none of them.

Run as ``python -m kiosk.testing.lazyfs BACKING MOUNTPOINT CONTROL``. The control
socket (the abstract Unix socket CONTROL) takes one line per connection: ``sync_all`` (what a clean shutdown
makes durable), ``cut`` or ``cut torn SEED`` (freeze, tear, answer, then wait to
be killed), ``stats``.
"""

from __future__ import annotations

import errno
import json
import os
import random
import socket
import stat
import sys
import threading
import time
from pathlib import Path

from kiosk.testing.lazyfs_store import PAGE, DurableStore, Node


def _fail(code: int) -> OSError:
    import mfusepy
    return mfusepy.FuseOSError(code)


class LazyFS:
    """The mfusepy operations: a memory file system whose syncs go to a DurableStore."""

    use_ns = True

    def __init__(self, backing: Path):
        self.store = DurableStore(backing)
        self.nodes = self.store.load()
        self.next_ino = max(self.nodes) + 1
        self.mutex = threading.RLock()
        self.handles: dict[int, Node] = {}  # fh -> node (an unlinked file lives while open)
        self.next_fh = 1
        self.counts = {"writes": 0, "fsyncs": 0, "dirsyncs": 0}

    # -- paths --------------------------------------------------------------------------
    def _lookup(self, path: str) -> Node:
        node = self.nodes[1]
        for part in [p for p in path.split("/") if p]:
            if not node.is_dir or part not in node.entries:
                raise _fail(errno.ENOENT)
            node = self.nodes[node.entries[part]]
        return node

    def _parent(self, path: str) -> tuple[Node, str]:
        head, _, name = path.rstrip("/").rpartition("/")
        parent = self._lookup(head or "/")
        if not parent.is_dir:
            raise _fail(errno.ENOTDIR)
        return parent, name

    def _node(self, path: str | None, fh: int | None) -> Node:
        if fh and fh in self.handles:
            return self.handles[fh]
        if path is None:
            raise _fail(errno.EBADF)
        return self._lookup(path)

    def _new(self, path: str, mode: int) -> Node:
        parent, name = self._parent(path)
        if name in parent.entries:
            raise _fail(errno.EEXIST)
        node = Node(self.next_ino, mode)
        self.next_ino += 1
        self.nodes[node.ino] = node
        parent.entries[name] = node.ino
        parent.mtime_ns = time.time_ns()
        return node

    def _handle(self, node: Node) -> int:
        fh, self.next_fh = self.next_fh, self.next_fh + 1
        self.handles[fh] = node
        return fh

    # -- metadata -----------------------------------------------------------------------
    def getattr(self, path: str | None, fh: int | None = None) -> dict:
        with self.mutex:
            node = self._node(path, fh)
            size = 4096 if node.is_dir else len(node.data)
            return {"st_mode": node.mode, "st_ino": node.ino, "st_nlink": 2 if node.is_dir else 1,
                    "st_size": size, "st_blocks": (size + 511) // 512, "st_blksize": PAGE,
                    "st_uid": os.getuid(), "st_gid": os.getgid(),
                    "st_mtime": node.mtime_ns, "st_ctime": node.mtime_ns, "st_atime": node.mtime_ns}

    def readdir(self, path: str, fh: int) -> list[tuple[str, dict, int]]:
        with self.mutex:  # with st_ino: use_ino passes it on, and readdir(3) hides an ino of 0
            node = self._lookup(path)
            names = {".": node.ino, "..": node.ino, **node.entries}
            return [(name, {"st_mode": self.nodes[ino].mode, "st_ino": ino}, 0)
                    for name, ino in names.items()]

    def opendir(self, path: str) -> int:
        with self.mutex:
            if not self._lookup(path).is_dir:
                raise _fail(errno.ENOTDIR)
            return 0

    def releasedir(self, path: str | None, fh: int) -> int:
        return 0

    def statfs(self, path: str) -> dict:
        return {"f_bsize": PAGE, "f_frsize": PAGE, "f_blocks": 1 << 20, "f_bfree": 1 << 19,
                "f_bavail": 1 << 19, "f_files": 1 << 16, "f_ffree": 1 << 15, "f_namemax": 255}

    def chmod(self, path: str | None, mode: int) -> int:
        with self.mutex:
            node = self._lookup(path or "/")
            node.mode = stat.S_IFMT(node.mode) | stat.S_IMODE(mode)
            return 0

    def chown(self, path: str | None, uid: int, gid: int) -> int:
        return 0

    def utimens(self, path: str | None, times: tuple[int, int] | None = None) -> int:
        with self.mutex:
            self._lookup(path or "/").mtime_ns = times[1] if times else time.time_ns()
            return 0

    def access(self, path: str, amode: int) -> int:
        with self.mutex:
            self._lookup(path)
            return 0

    # -- namespace: in memory until the directory is fsynced ------------------------------
    def mkdir(self, path: str, mode: int) -> int:
        with self.mutex:
            self._new(path, stat.S_IFDIR | stat.S_IMODE(mode))
            return 0

    def rmdir(self, path: str) -> int:
        with self.mutex:
            parent, name = self._parent(path)
            node = self._lookup(path)
            if not node.is_dir:
                raise _fail(errno.ENOTDIR)
            if node.entries:
                raise _fail(errno.ENOTEMPTY)
            del parent.entries[name]
            return 0

    def create(self, path: str, mode: int, flags: int = 0) -> int:
        with self.mutex:
            return self._handle(self._new(path, stat.S_IFREG | stat.S_IMODE(mode)))

    def open(self, path: str, flags: int) -> int:
        with self.mutex:
            node = self._lookup(path)
            if flags & os.O_TRUNC:
                self._resize(node, 0)
            return self._handle(node)

    def release(self, path: str | None, fh: int) -> int:
        with self.mutex:
            self.handles.pop(fh, None)
            return 0

    def flush(self, path: str | None, fh: int) -> int:
        return 0  # close() is not a sync

    def unlink(self, path: str) -> int:
        with self.mutex:
            parent, name = self._parent(path)
            if name not in parent.entries:
                raise _fail(errno.ENOENT)
            del parent.entries[name]
            return 0

    def rename(self, old: str, new: str) -> int:
        with self.mutex:
            source, old_name = self._parent(old)
            target, new_name = self._parent(new)
            if old_name not in source.entries:
                raise _fail(errno.ENOENT)
            replaced = target.entries.get(new_name)
            if replaced is not None and self.nodes[replaced].is_dir and self.nodes[replaced].entries:
                raise _fail(errno.ENOTEMPTY)
            target.entries[new_name] = source.entries.pop(old_name)
            return 0

    # -- data: in memory until the file is fsynced ------------------------------------------
    def _resize(self, node: Node, length: int) -> None:
        if length < len(node.data):
            del node.data[length:]
        else:
            node.data.extend(bytes(length - len(node.data)))
        node.resized, node.mtime_ns = True, time.time_ns()

    def truncate(self, path: str | None, length: int, fh: int | None = None) -> int:
        with self.mutex:
            self._resize(self._node(path, fh), length)
            return 0

    def read(self, path: str | None, size: int, offset: int, fh: int) -> bytes:
        with self.mutex:
            return bytes(self._node(path, fh).data[offset:offset + size])

    def write(self, path: str | None, data: bytes, offset: int, fh: int) -> int:
        with self.mutex:
            node = self._node(path, fh)
            end = offset + len(data)
            if end > len(node.data):
                node.data.extend(bytes(end - len(node.data)))
            node.data[offset:end] = data
            node.dirty.update(range(offset // PAGE, (end - 1) // PAGE + 1))
            node.last_write, node.mtime_ns = (offset, bytes(data)), time.time_ns()
            self.counts["writes"] += 1
            return len(data)

    def fsync(self, path: str | None, datasync: int, fh: int) -> int:
        with self.mutex:
            self._sync_file(self._node(path, fh))
            self.counts["fsyncs"] += 1
            return 0

    def fsyncdir(self, path: str | None, datasync: int, fh: int) -> int:
        with self.mutex:
            self._sync_dir(self._lookup(path or "/"))
            self.store.save_tree()
            self.counts["dirsyncs"] += 1
            return 0

    def _sync_file(self, node: Node) -> None:
        if node.is_dir:
            return
        if node.dirty or node.resized or not self.store.blob(node.ino).exists():
            self.store.write_pages(node)
        node.dirty.clear()
        node.resized, node.last_write = False, None
        if self.store.modes.get(node.ino, node.mode) != node.mode:
            self.store.modes[node.ino] = node.mode
            self.store.save_tree()

    def _sync_dir(self, node: Node) -> None:
        self.store.dirs[node.ino] = dict(node.entries)
        self.store.modes[node.ino] = node.mode
        for ino in node.entries.values():
            child = self.nodes[ino]
            self.store.modes[ino] = child.mode
            if child.is_dir:
                self.store.dirs.setdefault(ino, {})

    # -- the control socket ---------------------------------------------------------------
    def sync_all(self) -> None:
        """Everything durable, as after `sync` and a clean shutdown."""
        with self.mutex:
            for node in self.nodes.values():
                self._sync_dir(node) if node.is_dir else self._sync_file(node)
            self.store.save_tree()

    def tear(self, seed: int) -> int:
        """Keep a random prefix of each durably named file's last unsynced write."""
        rng, torn = random.Random(seed), 0
        reachable = self.store.reachable()
        for node in self.nodes.values():
            if node.last_write is None or node.ino not in reachable or node.is_dir:
                continue
            offset, data = node.last_write
            keep = rng.randrange(len(data) + 1)
            if keep:
                path = self.store.blob(node.ino)
                with open(path, "r+b" if path.exists() else "w+b") as out:
                    out.seek(offset)
                    out.write(data[:keep])
                torn += 1
        return torn

    def command(self, line: str) -> str:
        words = line.split()
        if words[:1] == ["sync_all"]:
            self.sync_all()
            return "ok"
        if words[:1] == ["stats"]:
            with self.mutex:
                return json.dumps(self.counts)
        if words[:1] == ["cut"]:
            self.mutex.acquire()  # frozen: no operation is answered again, ever
            torn = self.tear(int(words[2])) if words[1:2] == ["torn"] else 0
            return f"cut {torn}"
        return "unknown command"


def serve_control(fs: LazyFS, path: str) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0" + path)  # abstract: gone with the process
    server.listen(4)

    def loop() -> None:
        while True:
            conn, _ = server.accept()
            with conn:
                line = conn.makefile().readline()
                conn.sendall((fs.command(line) + "\n").encode())

    threading.Thread(target=loop, daemon=True).start()


def main(argv: list[str]) -> None:
    import mfusepy
    backing, mountpoint, control = argv
    fs = LazyFS(Path(backing))
    serve_control(fs, control)
    # use_ino: SQLite tells files apart by st_ino; page cache on (no direct_io) for mmap
    mfusepy.FUSE(fs, mountpoint, foreground=True, nothreads=False, use_ino=True,
                 fsname="lazyfs", default_permissions=False)


if __name__ == "__main__":
    main(sys.argv[1:])
