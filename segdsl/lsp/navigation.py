"""Go to definition, find references and rename, over the index of names (index.py)."""
from __future__ import annotations

import re

from lsprotocol import types as T

from ..syntax.keywords import KEYWORDS
from .analysis import Analysis
from .index import Key
from .positions import to_range

_NAME = re.compile(r"[^\W\d]\w*")


def symbol_at(a: Analysis, line: int, col: int) -> Key | None:
    return a.index.at(line, col) if a.index is not None else None


def definition(a: Analysis, uri: str, line: int, col: int) -> T.Location | None:
    key = symbol_at(a, line, col)
    d = a.index.definitions.get(key) if key else None
    return T.Location(uri=uri, range=to_range(a.text, d.span)) if d else None


def references(a: Analysis, uri: str, line: int, col: int, include_declaration: bool) -> list[T.Location]:
    key = symbol_at(a, line, col)
    if key is None:
        return []
    own = a.index.definitions[key].span
    return [T.Location(uri=uri, range=to_range(a.text, s)) for s in a.index.spans(key)
            if include_declaration or s != own]


def rename(a: Analysis, uri: str, line: int, col: int, new_name: str) -> T.WorkspaceEdit | None:
    """Every occurrence renamed; None for a name that is not a valid one (a keyword, `2x`)."""
    key = symbol_at(a, line, col)
    if key is None or not _NAME.fullmatch(new_name) or new_name in KEYWORDS:
        return None
    own = a.index.definitions[key]
    edits = [T.TextEdit(range=to_range(a.text, s), new_text=_declared(a, own, new_name) if s == own.span else new_name)
             for s in a.index.spans(key)]
    return T.WorkspaceEdit(changes={uri: edits})


def _declared(a: Analysis, d, new_name: str) -> str:
    """A member whose name is its data value keeps that value when renamed: `new = "old"`."""
    if d.kind != "member":
        return new_name
    line = a.text.split("\n")[d.span.line - 1]
    if re.match(r"\s*=", line[d.span.end_col - 1:]):          # `old = "Data"`: the value is written
        return new_name
    return f'{new_name} = "{d.name}"'

