"""Text → Lark parse tree, with one cached LALR parser per process."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from ..diagnostics.values import SegError
from ..source import Source
from .errors import syntax_diagnostic

GRAMMAR_PATH = Path(__file__).resolve().parent / "segdsl.lark"


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
