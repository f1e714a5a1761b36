"""Documents and their printer: the layout says where a line may break, the printer decides.

A Wadler-style pretty printer, small enough to own: text, groups that print
on one line when they fit and break every soft line otherwise, nesting,
alignment to a column, fill (as many items a line as fit) and two things a
formatter that keeps comments needs: a hard line (an own-line comment forces
every group around it to break) and a line suffix (a trailing comment waits
for the end of the line it is on, so no code can ever follow it). Widths are
display widths: a CJK character takes two columns, as in an editor. The
Python pretty-printing libraries are built to print Python values; none has
line suffixes or fill, which keeping comments and wrapping enum members need.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Union

WIDTH = 100


def display_width(s: str) -> int:
    """Columns `s` takes in a monospaced editor: wide and full-width characters two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
               for ch in s)


@dataclass(frozen=True, slots=True)
class Concat:
    parts: tuple["Doc", ...]


@dataclass(frozen=True, slots=True)
class Group:
    doc: "Doc"


@dataclass(frozen=True, slots=True)
class Nest:
    indent: int
    doc: "Doc"


@dataclass(frozen=True, slots=True)
class Align:
    """Continuation lines of `doc` start at the column where `doc` starts."""
    doc: "Doc"


@dataclass(frozen=True, slots=True)
class Line:
    flat: str           # " " for a line, "" for a soft line


@dataclass(frozen=True, slots=True)
class Hard:
    pass


@dataclass(frozen=True, slots=True)
class Fresh:
    """A line break unless the line is still empty: an own-line comment starts its own line."""


@dataclass(frozen=True, slots=True)
class Suffix:
    """Text put at the end of the current line, just before its line break."""
    text: str


@dataclass(frozen=True, slots=True)
class Fill:
    """Items separated by `sep` and a line that breaks only when the next item does not fit."""
    items: tuple["Doc", ...]
    sep: str


Doc = Union[str, Concat, Group, Nest, Align, Line, Hard, Fresh, Suffix, Fill]
LINE, SOFT, HARD, FRESH = Line(" "), Line(""), Hard(), Fresh()


def cat(*parts: "Doc | list | None") -> Doc:
    """Concatenation; lists are spliced and None left out."""
    out: list[Doc] = []
    for p in parts:
        if isinstance(p, list):
            out.extend(x for x in p if x is not None)
        elif p is not None:
            out.append(p)
    return Concat(tuple(out))


def join(sep: Doc, docs) -> list[Doc]:
    out: list[Doc] = []
    for i, d in enumerate(docs):
        if i:
            out.append(sep)
        out.append(d)
    return out


class _Forced:
    """Whether a document holds a hard line, remembered per object while one document prints."""

    def __init__(self):
        self.seen: dict[int, bool] = {}

    def __call__(self, d: Doc) -> bool:
        if isinstance(d, (str, Line, Suffix)):
            return False
        if isinstance(d, (Hard, Fresh)):
            return True
        key = id(d)
        if key not in self.seen:
            kids = d.parts if isinstance(d, Concat) else d.items if isinstance(d, Fill) else (d.doc,)
            self.seen[key] = any(self(k) for k in kids)
        return self.seen[key]


@dataclass(slots=True)
class _FillAt:
    items: tuple[Doc, ...]
    sep: str
    i: int


def render(doc: Doc, width: int = WIDTH) -> str:
    """The document as text; trailing spaces are never written."""
    forced = _Forced()
    lines: list[str] = []
    line: list[str] = []
    suffixes: list[str] = []
    col = 0
    stack: list[tuple[int, bool, object]] = [(0, False, doc)]

    def newline(indent: int) -> None:
        nonlocal col, line
        text = "".join(line).rstrip()
        if suffixes:
            text = (text + "  " if text.strip() else text) + "  ".join(suffixes)
            suffixes.clear()
        lines.append(text)
        line = [" " * indent]
        col = indent

    while stack:
        indent, flat, d = stack.pop()
        if isinstance(d, str):
            line.append(d)
            col += display_width(d)
        elif isinstance(d, Concat):
            stack.extend((indent, flat, p) for p in reversed(d.parts))
        elif isinstance(d, Group):
            breaks = not flat and (forced(d) or not _fits(d.doc, width - col, stack, forced))
            stack.append((indent, not breaks, d.doc))
        elif isinstance(d, Nest):
            stack.append((indent + d.indent, flat, d.doc))
        elif isinstance(d, Align):
            stack.append((col, flat, d.doc))
        elif isinstance(d, Line):
            if flat:
                line.append(d.flat)
                col += len(d.flat)
            else:
                newline(indent)
        elif isinstance(d, Hard):
            newline(indent)
        elif isinstance(d, Fresh):
            if "".join(line).strip():
                newline(indent)
        elif isinstance(d, Suffix):
            suffixes.append(d.text)
        elif isinstance(d, Fill):
            if flat:
                stack.append((indent, True, cat(join(cat(d.sep, LINE), d.items))))
            elif d.items:
                stack.append((indent, False, _FillAt(d.items, d.sep, 1)))
                stack.append((indent, False, Group(d.items[0])))
        elif isinstance(d, _FillAt):
            if d.i < len(d.items):
                item = d.items[d.i]
                last = d.i == len(d.items) - 1          # the last item shares its line with what follows
                room = width - col - display_width(d.sep) * (1 if last else 2) - 1
                together = not forced(item) and _fits(item, room, stack if last else [], forced)
                stack.append((indent, False, _FillAt(d.items, d.sep, d.i + 1)))
                stack.append((indent, False, Group(item)))
                stack.append((indent, together, cat(d.sep, LINE)))
    newline(0)
    return "\n".join(lines).rstrip("\n") + "\n"


def _fits(doc: Doc, room: int, rest: list, forced: _Forced) -> bool:
    """Whether `doc` printed flat, and what follows it up to the next line break, takes at most `room`."""
    todo: list[tuple[bool, object]] = [(True, doc)]
    rest_at = len(rest)
    while room >= 0:
        if not todo:
            if rest_at == 0:
                return True
            rest_at -= 1
            _, flat, d = rest[rest_at]
            todo.append((flat, d))
            continue
        flat, d = todo.pop()
        if isinstance(d, str):
            room -= display_width(d)
        elif isinstance(d, Concat):
            todo.extend((flat, p) for p in reversed(d.parts))
        elif isinstance(d, Group):
            todo.append((flat and not forced(d), d.doc))
        elif isinstance(d, (Nest, Align)):
            todo.append((flat, d.doc))
        elif isinstance(d, Line):
            if not flat:
                return True
            room -= len(d.flat)
        elif isinstance(d, (Hard, Fresh)):
            return not flat
        elif isinstance(d, Fill):
            todo.append((flat, cat(join(cat(d.sep, LINE), d.items)) if flat else cat(d.items[:1])))
        elif isinstance(d, _FillAt):
            if d.i < len(d.items):
                todo.append((flat, cat(d.sep, LINE, d.items[d.i])))
    return False
