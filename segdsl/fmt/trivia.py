"""The concrete tree of a rule file, and its comments attached to the tokens they belong to.

The grammar ignores comments, so the parser that checks rules never sees
them. The formatter parses with a parser of its own over the same grammar:
every token kept (parentheses and commas included, so nothing the analyst
wrote is lost) and comments collected by Lark's lexer callback as they are
read. A comment after code on its line trails the last token before it; a
comment on a line of its own leads the next token (or the end of the file).
Blank lines are remembered as a flag on what follows them.
"""
from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from functools import cache

from lark import Lark, Token, Tree

from ..syntax.parse import GRAMMAR_PATH

END = -1      # the key of the end of the file


@dataclass(frozen=True, slots=True)
class Comment:
    text: str
    line: int
    blank_before: bool      # an empty line between it and what comes before


@dataclass
class Trivia:
    """Comments by the start offset of the token they belong to; each is taken once when printed."""
    leading: dict[int, list[Comment]] = field(default_factory=dict)
    trailing: dict[int, list[Comment]] = field(default_factory=dict)
    blank_before: set[int] = field(default_factory=set)     # tokens with an empty line before them

    def take_leading(self, key: int) -> list[Comment]:
        return self.leading.pop(key, [])

    def take_trailing(self, key: int) -> list[Comment]:
        return self.trailing.pop(key, [])

    def left(self) -> int:
        return sum(map(len, self.leading.values())) + sum(map(len, self.trailing.values()))


_COLLECTED: list[Token] = []
_LOCK = threading.Lock()


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", start="start",
                propagate_positions=True, keep_all_tokens=True, maybe_placeholders=False,
                lexer_callbacks={"COMMENT": _COLLECTED.append})


def concrete(text: str) -> tuple[Tree, list[Token]]:
    """The tree with every token, and the comments in the order read. The text must parse
    (the caller has parsed it with the checking parser, which words the errors)."""
    with _LOCK:
        _COLLECTED.clear()
        tree = _parser().parse(text)
        comments = list(_COLLECTED)
        _COLLECTED.clear()
    return tree, comments


def tokens(tree: Tree) -> list[Token]:
    return sorted(tree.scan_values(lambda v: isinstance(v, Token)), key=lambda t: t.start_pos)


def attach(tree: Tree, comments: list[Token]) -> Trivia:
    toks = tokens(tree)
    starts = [t.start_pos for t in toks]
    trivia = Trivia()
    events = sorted([(t.start_pos, t.line, t.end_line, t) for t in toks]
                    + [(c.start_pos, c.line, c.line, c) for c in comments], key=lambda e: e[0])
    last_line = 0
    blank: dict[int, bool] = {}
    for pos, line, end_line, _ in events:
        blank[pos] = last_line > 0 and line - last_line > 1
        last_line = end_line
    trivia.blank_before = {t.start_pos for t in toks if blank[t.start_pos]}
    for c in comments:
        i = bisect.bisect_left(starts, c.start_pos)
        before = toks[i - 1] if i else None
        text = str(c).rstrip()
        if before is not None and before.end_line == c.line:
            trivia.trailing.setdefault(before.start_pos, []).append(Comment(text, c.line, False))
        else:
            key = toks[i].start_pos if i < len(toks) else END
            trivia.leading.setdefault(key, []).append(Comment(text, c.line, blank[c.start_pos]))
    return trivia
