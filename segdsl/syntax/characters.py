"""Characters a rule file must not hide in its text.

* NUL inside text in double quotes is refused (SEG005): no label, column name or
  value holds one, engines and databases cut text at it, and it is a sign of a
  damaged file. (A NUL anywhere else is already a syntax error.)
* A text-direction control (U+202A-U+202E, U+2066-U+2069) makes an editor show a
  line in another order than segdsl reads it ("Trojan Source"): a warning at the
  character, wherever it is (text, comment). Outside text and comments the lexer
  refuses it.
"""
from __future__ import annotations

import unicodedata

from lark import Token, Tree

from ..diagnostics.values import Diagnostic
from ..source import Source, Span

DIRECTION_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
_TEXT_TOKENS = ("STRING", "TABLE_TEXT")


def _span_at(source: Source, pos: int) -> Span:
    text = source.text
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return Span(source.path, line, col, line, col + 1)


def _nul_in_text(source: Source, tree: Tree) -> list[Diagnostic]:
    out = []
    for sub in tree.iter_subtrees():
        if sub.data == "import_decl":        # a path: the loader says why a NUL cannot be in it
            continue
        for tok in sub.children:
            if not isinstance(tok, Token) or tok.type not in _TEXT_TOKENS or "\x00" not in tok:
                continue
            at = str(tok).index("\x00")
            out.append(Diagnostic("SEG005", "a NUL character (␀) is not allowed in text",
                                  _span_at(source, tok.start_pos + at),
                                  help="remove it; the file may be damaged or not a text file"))
    return out


def _direction_controls(source: Source) -> list[Diagnostic]:
    out = []
    for pos, ch in enumerate(source.text):
        if ch in DIRECTION_CONTROLS:
            name = unicodedata.name(ch).lower()
            out.append(Diagnostic("SEG405", f"invisible text-direction control U+{ord(ch):04X} ({name}): an editor "
                                            f"may show this line in another order than segdsl reads it",
                                  _span_at(source, pos), help="remove it (retype the text around it)"))
    return out


def hidden_characters(source: Source, tree: Tree) -> list[Diagnostic]:
    """SEG005 for a NUL inside text, SEG405 for each text-direction control."""
    if "\x00" not in source.text and not DIRECTION_CONTROLS.intersection(source.text):
        return []
    return _nul_in_text(source, tree) + _direction_controls(source)
