"""Text → Lark parse tree, with one LALR parser per process, its tables cached on disk.

Building the LALR tables from the grammar takes longer than parsing a whole
rule file, and every `segdsl` command used to pay it. The built parser is
kept with Lark's own serialization (what Lark's `cache` option writes) in
segdsl's cache folder (caching.py), named by a hash of everything it depends
on: the grammar text, the parser options, Lark's version and Python's. A
changed grammar or an upgraded Lark is another name, so a cached parser is
never stale. Lark's `cache` option writes its file in place; caching.write
writes it under a temporary name and renames it, so a command running beside
another never reads half a file, and a damaged file is simply built again.
"""
from __future__ import annotations

import hashlib
import io
import sys
from functools import cache
from operator import itemgetter
from pathlib import Path

from lark import Lark, Tree, __version__ as LARK_VERSION
from lark.exceptions import UnexpectedInput
from lark.parse_tree_builder import PropagatePositions

from .. import caching
from ..diagnostics.values import SegError
from ..source import Source
from .errors import syntax_diagnostic

GRAMMAR_PATH = Path(__file__).resolve().parent / "segdsl.lark"
OPTIONS = dict(parser="lalr", start=["start", "constant"], propagate_positions=True, maybe_placeholders=True)


def cache_name(grammar: str) -> str:
    """The cached parser's file name: a hash of all the built parser depends on."""
    key = hashlib.sha256("\0".join([grammar, repr(sorted(OPTIONS.items())), LARK_VERSION,
                                    repr(sys.version_info[:2])]).encode("utf-8")).hexdigest()[:32]
    return f"grammar-{key}.lark"


class _InlinedKeepTheirPositions(PropagatePositions):
    """Lark's position propagation, minus the no-ops. Pure-Python Lark spends about a third
    of parsing propagating positions, and most of its reductions are an inlined rule (`?sum:
    product`) handing on its only child: every operand climbs nine of them (atom, postfix,
    unary, product, sum, comparison, not, and, or). For those Lark copies the child's
    positions onto the child itself; here the child goes on as it is. Any other reduction,
    including an inlined rule that drops tokens around its child (`"(" expr ")"`), is Lark's
    own (tests/parse/test_parse_positions.py compares every node's positions with Lark's)."""

    def __call__(self, children):
        if len(children) == 1:
            only = children[0]
            res = self.node_builder(children)
            if res is only:
                return res
            return PropagatePositions(lambda _: res, self.node_filter)(children)
        return super().__call__(children)


def _hands_on_its_child(rule) -> bool:
    """An inlined rule of one rule symbol (`?sum: product`): its reduction is its child, as it
    is. (A terminal may be dropped, and an `_inlined` child spliced: those stay Lark's.)"""
    only = rule.expansion[0] if len(rule.expansion) == 1 else None
    return (rule.options.expand1 and not rule.alias and only is not None and not only.is_term
            and not only.name.startswith("_"))


class _Parser(Lark):
    """Lark with `_InlinedKeepTheirPositions` in place of its position propagation, and the
    reductions that hand on their only child done by `itemgetter(0)` (C, not three Python
    calls deep: they are most of the reductions, and a tenth of parsing)."""

    def _prepare_callbacks(self) -> None:
        super()._prepare_callbacks()
        for rule, callback in self._callbacks.items():
            if type(callback) is PropagatePositions:
                self._callbacks[rule] = (itemgetter(0) if _hands_on_its_child(rule) else
                                         _InlinedKeepTheirPositions(callback.node_builder, callback.node_filter))


@cache
def parser() -> Lark:
    grammar = GRAMMAR_PATH.read_text(encoding="utf-8")
    name = cache_name(grammar)
    data = caching.read(name)
    if data is not None:
        try:
            return _Parser.load(io.BytesIO(data))
        except Exception:       # damaged, or written by another Lark: build it again
            pass
    built = _Parser(grammar, **OPTIONS)
    out = io.BytesIO()
    built.save(out)
    caching.write(name, out.getvalue())
    return built


def parse_tree(source: Source, start: str = "start") -> Tree:
    try:
        return parser().parse(source.text, start=start)
    except UnexpectedInput as exc:
        raise SegError([syntax_diagnostic(source, exc, parser())]) from None
