"""Text → Lark parse tree, with one cached LALR parser per process."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from .diagnostics import SegError
from .source import Source
from .syntax_errors import syntax_diagnostic

# grammars/segdsl.lark in a source tree; segdsl/grammar/ (a link to it) in an installed wheel
_HERE = Path(__file__).resolve().parent
GRAMMAR_PATH = next((p for p in (_HERE.parent / "grammars" / "segdsl.lark", _HERE / "grammar" / "segdsl.lark")
                     if p.exists()), _HERE / "grammar" / "segdsl.lark")


@cache
def parser() -> Lark:
    return Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr",
                start=["start", "constant"], propagate_positions=True,
                maybe_placeholders=True, cache=False)


def parse_tree(source: Source, start: str = "start") -> Tree:
    try:
        return parser().parse(source.text, start=start)
    except UnexpectedInput as exc:
        raise SegError([syntax_diagnostic(source, exc, parser())]) from None
