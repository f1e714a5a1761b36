"""One open document, understood: the checker's result, the syntax tree and the index of names.

Analysed again on every change, as `segdsl check` would (imports resolved
from the file's folder on disk). While the text does not parse, completion
and hover go on from the last version that did (or, for a file opened
broken, from the text without the line being typed): an analyst typing
`network = ` has a syntax error at that very moment.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..check.frontend import CheckResult, check_file
from ..diagnostics.values import SegError
from ..ir import Ruleset
from ..source import Source, Span
from ..syntax import ast as A
from ..syntax.build_ast import build_module
from .index import Index, build_index


@dataclass(frozen=True)
class Analysis:
    path: str
    text: str
    result: CheckResult
    module: A.Module | None          # None while the text does not parse
    index: Index | None

    @property
    def ruleset(self) -> Ruleset | None:
        return self.result.ruleset


def analyse(path: str, text: str) -> Analysis:
    result = check_file(path, text=text)
    try:
        module, _ = build_module(Source(path, text))
    except SegError:
        return Analysis(path, text, result, None, None)
    return Analysis(path, text, result, module, build_index(module))


class Documents:
    """The latest analysis of each open document, and the latest one that parsed."""

    def __init__(self):
        self.latest: dict[str, Analysis] = {}
        self.parsed: dict[str, Analysis] = {}

    def update(self, uri: str, path: str, text: str) -> Analysis:
        a = analyse(path, text)
        self.latest[uri] = a
        if a.module is not None:
            self.parsed[uri] = a
        return a

    def close(self, uri: str) -> None:
        self.latest.pop(uri, None)
        self.parsed.pop(uri, None)

    def usable(self, uri: str, line: int | None = None) -> Analysis | None:
        """The analysis to answer from: the latest if it parsed, else the last that did; for a
        document that has never parsed, the text without the 0-based `line` being typed."""
        if uri in self.parsed or line is None or uri not in self.latest:
            return self.parsed.get(uri)
        a = self.latest[uri]
        lines = a.text.split("\n")
        if not 0 <= line < len(lines):
            return None
        without = analyse(a.path, "\n".join(lines[:line] + [""] + lines[line + 1:]))
        return without if without.module is not None else None

    def current(self, uri: str) -> Analysis | None:
        return self.latest.get(uri)


def span_text(text: str, span: Span) -> str:
    """The text a span covers (lines and columns 1-based, the end exclusive)."""
    lines = text.split("\n")
    if span.line == span.end_line:
        return lines[span.line - 1][span.col - 1:span.end_col - 1]
    parts = [lines[span.line - 1][span.col - 1:]] + lines[span.line:span.end_line - 1] \
        + [lines[span.end_line - 1][:span.end_col - 1]]
    return "\n".join(parts)
