"""What one dimension's translator translated, kept for the other dimensions of the same file.

Each dimension is analysed with a translator of its own (solver.Translator):
its leaves are numbered, named and declared in the order its conditions read
them, and that order decides the solver's answers (which declared ranges an
answer names, which customer a witness is). A dimension that reads another
(`tier in [gold, silver]`) translates that one's conditions too, and so every
dimension it reads in turn: on a file of dimensions that each read the one
before, the last translated them all again, which was most of the analysis.

A *unit* is a let's expression, a segment's condition or a dimension's value.
When a translator has translated one, it keeps the term and, in order, every
declaration it made on the way (`Call`s: a leaf, a declared range, a fact)
and every node it translated. Another translator that needs the unit replays
the declarations, exactly as translating it would have made them, then takes
the term with the first translator's leaves swapped for its own (one
substitution, in z3's C code): the very term translating would have built,
since z3 shares equal terms. A dimension's value is built by the translator
that translated its conditions and moved whole, so the dimensions it reads
are walked once. What is still done again for each dimension that reads
another: replaying the declarations of what it reads (Python, but no z3
terms), and the solver's work over those conditions.

z3 numbers its terms in the order they are made, and where several answers
are equally right (which earlier segments a SEG404 names, which customer a
witness is, which ten overlaps SEG307 lists) its choice can follow that
order. Moved terms are made in another order than translated ones, so on a
file whose dimensions read each other those choices may differ from a
translation anew; what is found (which segments never match, which
dimensions overlap or leave customers out) does not.

A unit is kept only when its declarations are complete: a node translated
outside it and met again inside (one IR node shared by two conditions) made
no declarations the second time, so such a unit is not kept (`Frame.kept`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import z3


@dataclass(frozen=True)
class Call:
    """One declaration a translator made while translating `node` (an id; None for a unit): the
    method's name and its arguments, which are IR values, never z3 terms."""
    node: int | None
    method: str
    args: tuple


@dataclass
class Unit:
    """A translated unit: its term in `source`'s leaves, its declarations, its nodes' terms."""
    term: Any
    source: Any                     # the solver.Translator that translated it
    calls: list[Call]
    nodes: dict[int, tuple]         # id(node) → (node, term)


@dataclass
class Frame:
    """A unit being translated: what it declares and translates, from `start` on the
    translator's count of translated nodes."""
    key: tuple
    start: int
    calls: list[Call] = field(default_factory=list)
    nodes: dict[int, tuple] = field(default_factory=dict)
    kept: bool = True


class Units(dict):
    """The units of one file's analysis: (kind, name...) → Unit, shared by its translators."""


@dataclass(frozen=True)
class Pending:
    """A replayed unit's term not moved yet: most of the units a unit reads (a dimension's
    conditions, read through its value) are never asked for again, and moving each alone would
    walk the terms they share once for each."""
    term: Any
    source: Any


@dataclass(frozen=True)
class Swap:
    """Their leaves and mine, as the arrays z3's C API takes."""
    size: int
    theirs: Any
    mine: Any


def moved(term: Any, swap: Swap) -> Any:
    """`term` (a solver Value or Truth: z3 terms, None for a literal null's value) with another
    translator's leaves swapped for this one's. z3.substitute checks each pair in Python, which
    cost more than the substitution; the pairs were made of leaves of the same sort."""
    if not swap.size:
        return term
    parts = (getattr(term, f.name) for f in fields(term))
    return type(term)(*[None if x is None else substituted(x, swap) for x in parts])


def substituted(x: Any, swap: Swap) -> Any:
    ast = z3.Z3_substitute(x.ctx.ref(), x.as_ast(), swap.size, swap.theirs, swap.mine)
    return type(x)(ast, x.ctx)


def leaf_swap(theirs: dict, mine: dict) -> Swap:
    """Each leaf both translators have that differs, nulls too."""
    pairs = []
    for key, leaf in theirs.items():
        own = mine.get(key)
        if own is None:
            continue
        if not leaf.val.eq(own.val):
            pairs.append((leaf.val, own.val))
        if not z3.is_false(leaf.null) and not leaf.null.eq(own.null):
            pairs.append((leaf.null, own.null))
    return Swap(len(pairs), (z3.Ast * len(pairs))(*[a.as_ast() for a, _ in pairs]),
                (z3.Ast * len(pairs))(*[b.as_ast() for _, b in pairs]))


class Sharing:
    """The part of solver.Translator that keeps units and replays them. The translator has
    `rs`, `units` (the file's Units), `leaves`, `_memo` (id(node) → (node, term, count)) and
    `dimension_value`; its visitors make every declaration through `declare`, and read lets,
    conditions and dimensions through `unit`."""

    def start_sharing(self) -> None:
        self._count = 0                       # nodes translated (or replayed) so far: a Frame starts from it
        self._lazy: dict[int, tuple] = {}     # id(node) → (node, translator, its term, count): of a replayed unit
        self._units: dict[tuple, Any] = {}    # this translator's units: key → term, or Pending
        self._unkept: set[tuple] = set()      # units translated here whose declarations are not complete
        self._frames: list[Frame] = []
        self._swaps: dict[int, tuple] = {}    # id(translator) → ((its leaves, mine), Swap)

    def met_again(self, found: tuple) -> None:
        """A node met again: one translated before the unit being translated began made its
        declarations outside it, so the unit's are not complete."""
        if self._frames and found[2] <= self._frames[-1].start:
            self._frames[-1].kept = False

    def moved_node(self, e) -> Any:
        """The term of a node of a unit replayed here, moved to this translator's leaves; None
        for any other node."""
        lazy = self._lazy.pop(id(e), None)
        if lazy is None or lazy[0] is not e:
            return None
        if self._frames and lazy[3] <= self._frames[-1].start:
            self._frames[-1].kept = False
        return moved(lazy[2], self.swap(lazy[1]))

    def remember(self, e, term: Any) -> Any:
        """The node's term in the memo, and in the unit being translated."""
        self._count += 1
        self._memo[id(e)] = (e, term, self._count)
        if self._frames:
            self._frames[-1].nodes[id(e)] = (e, term)
        return term

    def unit(self, key: tuple, build) -> Any:
        """A let's expression, a segment's condition or a dimension's value: this translator's own,
        else another translator's replayed here, else translated now and kept for the others."""
        if key in self._units:
            term = self.own(key)
        elif key in self.units or self.built_where_translated(key):
            self.replay(key)
            term = self.own(key)
        else:
            term = self.record(key, build)
        if self._frames:
            self._frames[-1].calls.append(Call(None, "unit", (key,)))
            if key in self._unkept:
                self._frames[-1].kept = False
        return term

    def built_where_translated(self, key: tuple) -> bool:
        """A dimension's value built by the translator that translated all its conditions, and kept
        as a unit there, so that it is moved here whole: moving each condition alone walked the
        terms they share (the dimensions they read in turn) once for each."""
        if key[0] != "dimension":
            return False
        d = self.rs.dimension(key[1])
        found = [self.units.get(("segment", d.name, s.name)) for s in d.segments]
        sources = {id(u.source): u.source for u in found if u is not None}
        if None in found or len(sources) != 1 or id(self) in sources:
            return False
        source = next(iter(sources.values()))
        source.unit(key, lambda: source.dimension_value(d))
        return key in self.units

    def record(self, key: tuple, build) -> Any:
        frame = Frame(key, self._count)
        self._frames.append(frame)
        try:
            term = build()
        finally:
            self._frames.pop()
        self._units[key] = term
        if frame.kept:
            self.units.setdefault(key, Unit(term, self, frame.calls, frame.nodes))
        else:
            self._unkept.add(key)
        return term

    def replay(self, key: tuple) -> None:
        """Another translator's unit: its declarations made here in its order (those of nodes this
        translator had already translated left out, as translating would); its term, and its nodes'
        terms, moved here when asked for. Nothing a replay moves or declares belongs to the unit
        being translated here, which notes the replayed unit as a whole."""
        frames, self._frames = self._frames, []
        try:
            self.replayed(self.units[key])
        finally:
            self._frames = frames
        self._units[key] = Pending(self.units[key].term, self.units[key].source)

    def replayed(self, unit: Unit) -> None:
        before = {n for n in unit.nodes if n in self._memo or n in self._lazy}
        for n, (node, term) in unit.nodes.items():
            if n not in before:
                self._count += 1
                self._lazy[n] = (node, unit.source, term, self._count)
        for call in unit.calls:
            if call.method == "unit":
                if call.args[0] not in self._units:
                    self.replay(call.args[0])
            elif call.node not in before:
                getattr(self, call.method)(*call.args)

    def own(self, key: tuple) -> Any:
        """A unit's term here, a replayed one moved to this translator's leaves when first asked for."""
        term = self._units[key]
        if isinstance(term, Pending):
            term = self._units[key] = moved(term.term, self.swap(term.source))
        return term

    def swap(self, source: "Sharing") -> Swap:
        """Another translator's leaves and mine (computed again when either has more)."""
        sizes = (len(source.leaves), len(self.leaves))
        found = self._swaps.get(id(source))
        if found is None or found[0] != sizes:
            found = self._swaps[id(source)] = (sizes, leaf_swap(source.leaves, self.leaves))
        return found[1]

    def declare(self, node: Any, method: str, *args) -> Any:
        """A declaration (a leaf, a declared range, a fact), made and noted in the unit being
        translated, so that another translator replaying the unit makes it too."""
        if self._frames:
            self._frames[-1].calls.append(Call(id(node), method, args))
        return getattr(self, method)(*args)

    def mark(self, flag: str) -> None:
        setattr(self, flag, True)
