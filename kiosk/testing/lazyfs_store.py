"""What the power-cut file system (kiosk.testing.lazyfs) keeps: its nodes in memory, and the
backing directory that holds only what was synced (one file per inode, and the tree)."""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = 4096


@dataclass
class Node:
    ino: int
    mode: int
    data: bytearray = field(default_factory=bytearray)
    entries: dict[str, int] = field(default_factory=dict)  # directories only
    dirty: set[int] = field(default_factory=set)  # pages written since the last fsync
    resized: bool = False
    last_write: tuple[int, bytes] | None = None
    mtime_ns: int = field(default_factory=time.time_ns)

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)


class DurableStore:
    """The backing directory: what survives a power cut."""

    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / "ino").mkdir(parents=True, exist_ok=True)
        tree = self.root / "tree.json"
        saved = json.loads(tree.read_text()) if tree.exists() else {}
        self.dirs: dict[int, dict[str, int]] = {int(k): v for k, v in saved.get("dirs", {"1": {}}).items()}
        self.modes: dict[int, int] = {int(k): v for k, v in saved.get("modes", {"1": stat.S_IFDIR | 0o755}).items()}

    def blob(self, ino: int) -> Path:
        return self.root / "ino" / str(ino)

    def save_tree(self) -> None:
        tmp = self.root / "tree.json.tmp"
        tmp.write_text(json.dumps({"dirs": self.dirs, "modes": self.modes}))
        os.replace(tmp, self.root / "tree.json")

    def write_pages(self, node: Node) -> None:
        path = self.blob(node.ino)
        with open(path, "r+b" if path.exists() else "w+b") as out:
            for page in sorted(node.dirty):
                out.seek(page * PAGE)
                out.write(node.data[page * PAGE:(page + 1) * PAGE])
            out.truncate(len(node.data))

    def reachable(self) -> dict[int, int]:
        """ino -> mode of everything a walk from the root finds in the synced tree."""
        found, todo = {1: self.modes.get(1, stat.S_IFDIR | 0o755)}, [1]
        while todo:
            for ino in self.dirs.get(todo.pop(), {}).values():
                if ino not in found:
                    found[ino] = self.modes.get(ino, stat.S_IFREG | 0o644)
                    if stat.S_ISDIR(found[ino]):
                        todo.append(ino)
        return found

    def load(self) -> dict[int, Node]:
        """The nodes after a power cut; blobs no synced entry reaches are deleted (fsck)."""
        nodes = {}
        for ino, mode in self.reachable().items():
            node = Node(ino, mode)
            if stat.S_ISDIR(mode):
                node.entries = dict(self.dirs.get(ino, {}))
            elif self.blob(ino).exists():
                node.data = bytearray(self.blob(ino).read_bytes())
            nodes[ino] = node
        for blob in (self.root / "ino").iterdir():
            if int(blob.name) not in nodes:
                blob.unlink()
        return nodes
