"""Small-count suppression for tables with totals: no hidden cell can be worked out.

A table here has dimensions (stations with the county as their total; months with quarters
and the year above them; a breakdown with its total), and every total is published beside
its parts. A count of 1 to ``threshold - 1`` is hidden ("primary"). Then each hidden cell is
made a corner of a *box* of hidden cells: in every dimension the box takes the cells that a
change of one bottom cell by +1, or of two bottom cells by +1 and -1, moves (for a month,
"the month, its quarter and the year" or "two months, and their quarters when those
differ"), so the box's corners can all move by one, alternately up and down, and every
published sum stays the same. That is the hypercube method statistical offices use
(Repsilber's GHMITER in tau-ARGUS). Of the boxes tried, one whose move keeps every
corner inside what its mark says ("<5": 0 to 4, "*": 5 or more) is preferred, so that bounds
do not pin a corner either; when none of them does (sparse tables: a 4 among zeros), the
cheapest box is taken, which still defeats every linear combination but may leave a corner's
range narrowed by its mark. Then, in every group whose total is shown, hidden cells that add
up to less than the threshold get the next-smallest cell hidden too; and so does a group
where the marks and the shown numbers pin a hidden cell to one value (a total of 14 over two
cells that read "<8": both are 7; ``bounds`` narrows each hidden cell's range through every
sum it is in, as an attacker would). Each cell hidden so gets a box of its own, until
nothing changes.

So every hidden cell has a second table, equal in every shown number, in which it has
another value: no linear combination of published numbers gives it away, nor do the marks'
ranges carried through the sums. Tests attack the published tables both ways: by solving
their linear system, and by narrowing ranges (tests/reports/attack.py).

Cost: pure Python, about 1 ms per box; a year of 100 stations with every plan item (130,000
cells, three quarters of them hidden) takes tens of seconds, so the county computes a
report once per change of its counts, off the request path, and pages read the result.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Coords = tuple[int, ...]
Pattern = tuple[tuple[int, int], ...]  # (index, sign) along one dimension
WIDTHS = (2, 4)  # moves tried per dimension: the 2 cheapest, then the 4 cheapest
SMALL, OTHER = "small", "other"  # hidden below the threshold / hidden at or above it
UNBOUNDED = 10**12  # the top of a "*" cell's range (far above any count)
# Changed whenever the rules hide differently: reports published under older rules are
# published again (kiosk.county.services.reports fingerprints them with it).
SUPPRESSION_RULES = "hypercube+marks-2026-12"


@dataclass(frozen=True)
class Dim:
    """One dimension: its labels and each label's parent (-1: none). ``related`` is False
    for a dimension whose cells are not summed anywhere (months of a stock)."""

    labels: tuple[str, ...]
    parent: tuple[int, ...]
    related: bool = True
    leaves: tuple[int, ...] = field(init=False)
    paths: tuple[tuple[int, ...], ...] = field(init=False)
    children: tuple[tuple[int, ...], ...] = field(init=False)
    _patterns: dict[int, list[Pattern]] = field(init=False, default_factory=dict, compare=False,
                                                repr=False)
    _indexes: dict[int, list[tuple[int, ...]]] = field(init=False, default_factory=dict,
                                                       compare=False, repr=False)

    def __post_init__(self) -> None:
        kids: list[list[int]] = [[] for _ in self.labels]
        for index, up in enumerate(self.parent):
            if up >= 0:
                kids[up].append(index)
        paths = []
        for index in range(len(self.labels)):
            path, at = [index], self.parent[index]
            while at >= 0:
                path.append(at)
                at = self.parent[at]
            paths.append(tuple(path))
        object.__setattr__(self, "children", tuple(tuple(k) for k in kids))
        object.__setattr__(self, "leaves", tuple(i for i, k in enumerate(kids) if not k))
        object.__setattr__(self, "paths", tuple(paths))

    @classmethod
    def flat(cls, labels: Sequence[str], total: str | None) -> Dim:
        """Parts and (when ``total`` is given) their total, last."""
        if total is None:
            return cls(tuple(labels), tuple(-1 for _ in labels), related=False)
        return cls((*labels, total), (*(len(labels) for _ in labels), -1))

    def patterns(self, index: int) -> list[Pattern]:
        found = self._patterns.get(index)
        if found is None:
            found = self._patterns[index] = self._moves(index)
        return found

    def pattern_indexes(self, index: int) -> list[tuple[int, ...]]:
        """The indexes each of ``patterns(index)`` moves (without their signs), cached."""
        found = self._indexes.get(index)
        if found is None:
            found = self._indexes[index] = [tuple(i for i, _ in p) for p in self.patterns(index)]
        return found

    def _moves(self, index: int) -> list[Pattern]:
        """Every change of one or two bottom cells (+1, or +1 and -1) that moves ``index``,
        as the (index, sign) pairs it moves along this dimension."""
        if not self.related:
            return [((index, 1),)]
        under = [leaf for leaf in self.leaves if index in self.paths[leaf]]
        others = [leaf for leaf in self.leaves if index not in self.paths[leaf]]
        found = [tuple((i, 1) for i in self.paths[a]) for a in under]
        for a in under:
            for b in others:
                common = set(self.paths[a]) & set(self.paths[b])
                found.append(tuple((i, 1) for i in self.paths[a] if i not in common)
                             + tuple((i, -1) for i in self.paths[b] if i not in common))
        return found


@dataclass
class Table:
    """Every cell of one table (totals included), by coordinates along ``dims``."""

    dims: tuple[Dim, ...]
    values: dict[Coords, int]

    def value(self, cell: Coords) -> int:
        return self.values.get(cell, 0)

    def totals(self, cell: Coords) -> Iterable[tuple[int, Coords]]:
        """(dimension, total) of every published sum the cell is a part of."""
        for d, dim in enumerate(self.dims):
            up = dim.parent[cell[d]]
            if dim.related and up >= 0:
                yield d, cell[:d] + (up,) + cell[d + 1:]

    def parts(self, d: int, total: Coords) -> list[Coords]:
        head, tail = total[:d], total[d + 1:]
        return [head + (k,) + tail for k in self.dims[d].children[total[d]]]


def suppress(table: Table, threshold: int) -> dict[Coords, str]:
    """The hidden cells of a table, each marked SMALL (below the threshold) or OTHER."""
    return _Suppression(table, threshold).run()


class _Suppression:
    def __init__(self, table: Table, threshold: int):
        self.table, self.threshold = table, threshold
        self.hidden: set[Coords] = {c for c, v in table.values.items() if 0 < v < threshold}
        self.protected: set[Coords] = set()

    def run(self) -> dict[Coords, str]:
        todo = sorted(self.hidden, reverse=True)
        while todo:
            while todo:
                while todo:
                    cell = todo.pop()
                    if cell not in self.protected:
                        self._protect(cell)
                todo = sorted(self._small_groups(), reverse=True)
                self.hidden.update(todo)
            # the marks' ranges last: they are worked out for the whole table at once
            todo = sorted(self._pinned_by_marks(), reverse=True)
            self.hidden.update(todo)
        return {c: SMALL if self.table.value(c) < self.threshold else OTHER for c in self.hidden}

    def _cost(self, cell: Coords) -> int:
        return 0 if cell in self.hidden else 1 + self.table.value(cell)

    def _fits(self, cell: Coords, step: int) -> bool:
        """Whether the cell can move by ``step`` and keep its mark."""
        value = self.table.value(cell)
        moved = value + step
        return 0 <= moved < self.threshold if value < self.threshold else moved >= self.threshold

    def _protect(self, cell: Coords) -> None:
        """Hide the cheapest box through the cell, preferring one whose move keeps every
        corner's mark (then bounds cannot pin it either); a box always exists."""
        fallback = None
        for width in WIDTHS:
            box, fits = self._best_box(cell, width)
            if fits:
                break
            fallback = fallback or box
        else:
            box = fallback
        assert box is not None
        self.hidden.update(box)
        self.protected.update(box)

    def _best_box(self, cell: Coords, width: int) -> tuple[list[Coords] | None, bool]:
        """The cheapest box among the ``width`` cheapest moves along each dimension: the
        cheapest that keeps the marks if one does (and True), else the cheapest (and False)."""
        hidden, values = self.hidden, self.table.values
        choices = []
        for d, dim in enumerate(self.table.dims):
            head, tail = cell[:d], cell[d + 1:]
            line = [0 if (c := head + (i,) + tail) in hidden else 1 + values.get(c, 0)
                    for i in range(len(dim.labels))]
            line_at = line.__getitem__
            indexes = dim.pattern_indexes(cell[d])
            costs = [sum(map(line_at, moved)) for moved in indexes]
            # the ``width`` cheapest moves, ties in the patterns' order (as sorted() keeps them)
            patterns = dim.patterns(cell[d])
            choices.append([patterns[n] for n in heapq.nsmallest(width, range(len(costs)),
                                                                 key=costs.__getitem__)])
        best: tuple[int, list[Coords]] | None = None
        cheapest: tuple[int, list[Coords]] | None = None
        for combo in itertools.product(*choices):
            cells = list(itertools.product(*([i for i, _ in p] for p in combo)))
            cost = sum(0 if c in hidden else 1 + values.get(c, 0) for c in cells)
            if cheapest is None or cost < cheapest[0]:
                cheapest = (cost, cells)
            if best is not None and cost >= best[0]:
                continue
            signs = [math.prod(s) for s in itertools.product(*([s for _, s in p] for p in combo))]
            if any(all(self._fits(c, step * s) for c, s in zip(cells, signs, strict=True))
                   for step in (1, -1)):
                best = (cost, cells)
        if best is not None:
            return best[1], True
        return (cheapest[1] if cheapest else None), False

    def _small_groups(self) -> set[Coords]:
        """The next-smallest shown part of every group whose total is shown and whose
        hidden parts add up to less than the threshold (0 included: hidden zeros that the
        total shows to be zeros would be no better than shown)."""
        more: set[Coords] = set()
        seen: set[tuple[int, Coords]] = set()
        for cell in self.hidden:
            for d, total in self.table.totals(cell):
                if (d, total) in seen or total in self.hidden:
                    continue
                seen.add((d, total))
                parts = self.table.parts(d, total)
                hidden_parts = [p for p in parts if p in self.hidden]
                if hidden_parts and sum(self.table.value(p) for p in hidden_parts) < self.threshold:
                    shown = [p for p in parts if p not in self.hidden and self.table.value(p) > 0]
                    if shown:
                        more.add(min(shown, key=lambda p: (self.table.value(p), p)))
        return more


    def _groups(self) -> list[tuple[Coords, list[Coords]]]:
        """(total, parts) of every published sum with a hidden cell in it."""
        found: dict[tuple[int, Coords], None] = {}
        for cell in self.hidden:
            for d, total in self.table.totals(cell):
                found[(d, total)] = None
            for d, dim in enumerate(self.table.dims):
                if dim.related and dim.children[cell[d]]:
                    found[(d, cell)] = None
        return [(total, self.table.parts(d, total)) for d, total in sorted(found)]

    def bounds(self) -> dict[Coords, tuple[int, int]]:
        """What the published numbers tell of each hidden cell: its mark's range ("<5": 0 to
        4, "*": 5 or more), narrowed by every sum it is in, again and again until nothing
        narrows (interval propagation, what an attacker does with the marks and totals)."""
        t, value, hidden = self.threshold, self.table.value, self.hidden
        known: dict[Coords, tuple[int, int]] = {
            c: ((0, t - 1) if value(c) < t else (t, UNBOUNDED)) for c in hidden}
        # each sum as (its total if hidden, else None; the total's shown value; its hidden
        # parts; what its shown parts add up to)
        sums: list[tuple[Coords | None, int, list[Coords], int]] = []
        member_of: dict[Coords, list[int]] = {}
        for total, parts in self._groups():
            hidden_parts = [p for p in parts if p in hidden]
            shown = sum(value(p) for p in parts if p not in hidden)
            total_hidden = total if total in hidden else None
            n = len(sums)
            sums.append((total_hidden, 0 if total_hidden else value(total), hidden_parts, shown))
            for c in (*hidden_parts, *([total] if total_hidden else [])):
                member_of.setdefault(c, []).append(n)

        todo, queued = list(range(len(sums))), set(range(len(sums)))
        budget = 50 * len(sums)  # a cycle of sums can narrow by one a step: stop in time
        while todo and budget:
            budget -= 1
            n = todo.pop()
            queued.discard(n)
            hidden_total, shown_total, parts, shown = sums[n]
            lo_t, hi_t = (known[hidden_total] if hidden_total is not None
                          else (shown_total, shown_total))
            spans = [known[p] for p in parts]
            low = shown + sum(lo for lo, _ in spans)
            high = shown + sum(hi for _, hi in spans)
            narrowed = []
            if hidden_total is not None:
                narrowed.append((hidden_total, max(lo_t, low), min(hi_t, high)))
            for p, (lo, hi) in zip(parts, spans, strict=True):
                new_lo, new_hi = max(lo, lo_t - (high - hi)), min(hi, hi_t - (low - lo))
                if new_lo != lo or new_hi != hi:
                    narrowed.append((p, new_lo, new_hi))
            for c, lo, hi in narrowed:
                if (lo, hi) != known[c] and lo <= hi:
                    known[c] = (lo, hi)
                    for m in member_of[c]:
                        if m not in queued:
                            queued.add(m)
                            todo.append(m)
        return known

    def _pinned_by_marks(self) -> set[Coords]:
        """For each hidden cell the marks and sums pin to one value (a total of 14 over two
        cells that read "<8": both are 7), in each sum through it that bounds it to that
        value, the next-smallest shown part (or the sum's shown total) to hide as well."""
        known = self.bounds()
        value = self.table.value

        def span(c: Coords) -> tuple[int, int]:
            return known[c] if c in known else (value(c), value(c))

        more: set[Coords] = set()
        for cell, (lo, hi) in sorted(known.items()):
            if lo != hi:
                continue
            before = len(more)
            groups = self._groups_of(cell)
            for total, parts in groups:
                if total == cell:
                    low = sum(span(p)[0] for p in parts)
                    high = sum(span(p)[1] for p in parts)
                else:
                    lo_t, hi_t = span(total)
                    others = [span(p) for p in parts if p != cell]
                    low = lo_t - sum(h for _, h in others)
                    high = hi_t - sum(lo_ for lo_, _ in others)
                if low < lo and high > hi:
                    continue  # this sum alone leaves the cell room: not what pins it
                self._widen(total, parts, more)
            if len(more) == before:  # no sum that bounds it has a shown cell: the nearest
                self._widen_nearest(cell, more)  # sum that has one, through hidden cells
        return more

    def _widen_nearest(self, cell: Coords, more: set[Coords]) -> None:
        """Widen the sum nearest to ``cell`` (over sums whose cells are all hidden) that has a
        shown cell: the ranges that pin it are carried to it through those hidden cells."""
        seen, queue = {cell}, [cell]
        while queue:
            at = queue.pop(0)
            for total, parts in self._groups_of(at):
                if self._widen(total, parts, more):
                    return
                for c in (total, *parts):
                    if c not in seen:
                        seen.add(c)
                        queue.append(c)

    def _widen(self, total: Coords, parts: list[Coords], more: set[Coords]) -> bool:
        """Add the sum's next-smallest shown part (or its shown total) to ``more``; whether
        the sum had one."""
        value = self.table.value
        shown = [p for p in parts if p not in self.hidden]
        if shown:
            more.add(min(shown, key=lambda p: (value(p) == 0, value(p), p)))
        elif total not in self.hidden:
            more.add(total)
        else:
            return False
        return True

    def _groups_of(self, cell: Coords) -> list[tuple[Coords, list[Coords]]]:
        """The sums a cell is in: as a part, then as a total."""
        found = [(total, self.table.parts(d, total)) for d, total in self.table.totals(cell)]
        found += [(cell, self.table.parts(d, cell)) for d, dim in enumerate(self.table.dims)
                  if dim.related and dim.children[cell[d]]]
        return found


def marks(hidden: Mapping[Coords, str], threshold: int) -> dict[Coords, str]:
    """The text each hidden cell shows: "<5" below the threshold, "*" at or above it."""
    return {c: f"<{threshold}" if kind == SMALL else "*" for c, kind in hidden.items()}
