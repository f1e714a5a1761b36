"""A rule file's text in the canonical layout, or the diagnostics that stop it being formatted.

A file that does not parse is not formatted: its syntax diagnostics come
back instead (the same ones `check` shows). The result is checked before it
is handed out: it must parse to the same syntax tree (spans aside) and hold
the same comments in the same order, so formatting can never change what a
file means or lose what an analyst wrote. Formatting its own output changes
nothing.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..diagnostics.values import Diagnostic, SegError
from ..source import Source, Span
from ..syntax.build_ast import build_module
from .doc import WIDTH, render
from .layout import Layout
from .trivia import attach, concrete

_BLANKS = re.compile(r"\n{3,}")
_OPEN_BLANK = re.compile(r"^([^#\n]*[{\[])\n\n", re.M)
_BLANK_CLOSE = re.compile(r"\n\n(\s*[}\]])")


@dataclass(frozen=True, slots=True)
class Formatted:
    text: str | None                 # None when the file cannot be formatted
    diagnostics: tuple[Diagnostic, ...] = ()     # why: the file does not parse
    problem: str | None = None                   # why: the result would not be faithful (a bug, never hidden)

    @property
    def ok(self) -> bool:
        return self.text is not None


def format_source(source: Source, width: int = WIDTH) -> Formatted:
    text = source.text.removeprefix("\ufeff")
    try:
        before, _ = build_module(Source(source.path, text))
    except SegError as e:
        return Formatted(None, tuple(e.diagnostics))
    tree, comments = concrete(text)
    trivia = attach(tree, comments)
    out = _tidy(render(Layout(trivia).doc(tree), width))
    problem = _unfaithful(source.path, before, out, comments) if not trivia.left() else "a comment was not placed"
    if problem:
        return Formatted(None, problem=problem)
    return Formatted(out)


def _tidy(text: str) -> str:
    """One blank line at most, none just inside a bracket, none at the start or end."""
    text = _BLANKS.sub("\n\n", text)
    text = _OPEN_BLANK.sub(r"\1\n", text)
    text = _BLANK_CLOSE.sub(r"\n\1", text)
    return text.strip("\n") + "\n" if text.strip() else ""


def _unfaithful(path: str, before, out: str, comments) -> str | None:
    try:
        after, _ = build_module(Source(path, out))
    except SegError as e:
        return f"the result does not parse: {e.diagnostics[0].message}"
    if shape(after) != shape(before):
        return "the result means something else"
    _, again = concrete(out)
    if _words(again) != _words(comments):        # two comments on one line become one: compare their text
        return "comments would be lost"
    return None


_WRITTEN = {"path", "source_hash"}      # where a value was written and the hash of the text, not what it means


def _words(comments) -> str:
    return "".join("".join(map(str, comments)).split())


def shape(value):
    """A syntax tree or IR value with what depends on the text's layout left out (spans, paths,
    the text and its hash): what it means, not how it was written."""
    if isinstance(value, Span):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(shape(getattr(value, f.name)) for f in dataclasses.fields(value)
                                               if f.compare and f.name not in _WRITTEN)
    if isinstance(value, (list, tuple)):
        return tuple(shape(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((repr(k), shape(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(shape(v)) for v in value))
    return value
