"""Turns Lark's UnexpectedInput into words an analyst understands.

Lark reports terminal names (`__ANON_3`, `RBRACE`); analysts need "expected a
condition after `when`". The message is chosen from the token before the
error and from what the parser could have accepted there.
"""
from __future__ import annotations

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .diagnostics import Diagnostic
from .keywords import KEYWORDS
from .source import Source, Span

FULL_WIDTH = {"，": ",", "：": ":", "（": "(", "）": ")", "；": ";", "【": "[", "】": "]",
              "“": '"', "”": '"', "｛": "{", "｝": "}", "＝": "=", "＞": ">", "＜": "<",
              "！": "!", "。": ".", "‘": "'", "’": "'", "％": "%", "｜": "|"}

# what each terminal means, in words
WORDS = {
    "NAME": "a name", "STRING": 'a text in double quotes', "NUMBER": "a number",
    "PERCENT": "a percentage", "DATE": "a date (2026-11-01)", "DATETIME": "a date and time",
    "COMP_OP": "a comparison (=, !=, <, <=, >, >=)", "LBRACE": "`{`", "RBRACE": "`}`",
    "LPAR": "`(`", "RPAR": "`)`", "LSQB": "`[`", "RSQB": "`]`", "COMMA": "`,`",
    "COLON": "`:`", "EQUAL": "`=`", "DOT": "`.`", "PLUS": "`+`", "MINUS": "`-`",
    "STAR": "`*`", "SLASH": "`/`", "NULLABLE": "`?`", "TABLE_TEXT": "table rows",
    "DESC": "`desc`", "_KEY": "`key`", "_FROM": "`from`", "$END": "the end of the file",
    "VBAR": "`|`", "__ANON_0": "`..`",
}

VALUE_STARTS = {"NAME", "NUMBER", "STRING", "LPAR"}


def _words(term: str) -> str:
    if term in WORDS:
        return WORDS[term]
    if term.lower() in KEYWORDS:
        return f"`{term.lower()}`"
    return f"`{term.lower()}`"


def _span(source: Source, line: int, col: int, width: int = 1) -> Span:
    return Span(source.path, line, col, line, col + max(width, 1))


def _previous_token(parser: Lark, source: Source, pos: int):
    prev = None
    try:
        for tok in parser.lex(source.text[:pos], dont_ignore=False):
            prev = tok
    except UnexpectedInput:
        pass
    return prev


def _context(prev, expected: set[str]) -> str | None:
    if prev is None:
        return None
    p = str(prev)
    if p in ("when", "and", "or", "not", "then", "else", "where", "between") or prev.type in ("COMP_OP", "PLUS", "MINUS", "STAR", "SLASH"):
        what = "a condition" if p in ("when", "and", "or", "not", "where") else "a value"
        return f"expected {what} after `{p}`"
    if p in ("segment", "let", "param", "dimension", "input", "related", "otherwise", "ruleset", "key", "of", "by"):
        return f"expected a name after `{p}`"
    if expected and expected <= {"FIRST", "UNIQUE", "ALL", "STRING"} and "FIRST" in expected:
        return "expected a hit policy (`first`, `unique` or `all`) after the dimension name"
    if prev.type == "NAME" and "COLON" in expected and len(expected) <= 2:
        return f"expected `:` and a type after the field name `{p}`"
    return None


def syntax_diagnostic(source: Source, exc: UnexpectedInput, parser: Lark) -> Diagnostic:
    line, col = exc.line, exc.column
    if isinstance(exc, UnexpectedCharacters):
        ch = source.text[exc.pos_in_stream] if exc.pos_in_stream < len(source.text) else ""
        span = _span(source, line, col)
        if ch in FULL_WIDTH:
            return Diagnostic("SEG003", f"full-width punctuation `{ch}`", span,
                              help=f"use the ASCII `{FULL_WIDTH[ch]}` instead")
        if ch == '"':
            return Diagnostic("SEG002", "this string is not closed on its line", span,
                              help='close it with `"`; strings cannot span lines (write \\" for a quote)')
        prev = _previous_token(parser, source, exc.pos_in_stream)
        msg = _context(prev, set(exc.allowed or ())) or f"unexpected character `{ch}`"
        return Diagnostic("SEG005", f"{msg}; `{ch}` is not allowed here" if msg.startswith("expected") else msg,
                          span, help=_expected_help(exc.allowed))
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        expected = set(exc.expected or ())
        if tok.type == "$END":
            prev = _previous_token(parser, source, len(source.text))
            ctx = _context(prev, expected)
            lines = source.text.splitlines() or [""]
            span = _span(source, len(lines), len(lines[-1]) + 1)
            return Diagnostic("SEG001", (ctx + ", but the file ends") if ctx else "the file ends too early",
                              span, help=_expected_help(expected))
        span = _span(source, tok.line, tok.column, len(str(tok)))
        text = str(tok)
        if tok.type == "COMP_OP" and "COMP_OP" not in expected and _previous_is_comparison(parser, source, tok.start_pos):
            return Diagnostic("SEG209", "comparisons do not chain", span,
                              help="write `a < b and b < c`")
        prev = _previous_token(parser, source, tok.start_pos)
        if text in KEYWORDS and "NAME" in expected and (prev is None or str(prev) not in ("when", "and", "or", "not")):
            return Diagnostic("SEG004", f"`{text}` is a reserved keyword and cannot be used as a name", span,
                              help=f"choose another name, such as `{text}_`")
        ctx = _context(prev, expected)
        if ctx:
            return Diagnostic("SEG001", f"{ctx}, found `{text}`", span, help=_expected_help(expected))
        return Diagnostic("SEG001", f"unexpected `{text}`", span, help=_expected_help(expected))
    if isinstance(exc, UnexpectedEOF):
        lines = source.text.splitlines() or [""]
        return Diagnostic("SEG001", "the file ends too early", _span(source, len(lines), len(lines[-1]) + 1),
                          help=_expected_help(exc.expected))
    return Diagnostic("SEG001", "syntax error", _span(source, line or 1, col or 1))


def _previous_is_comparison(parser: Lark, source: Source, pos: int) -> bool:
    toks = []
    try:
        toks = list(parser.lex(source.text[:pos], dont_ignore=False))
    except UnexpectedInput:
        return False
    depth = 0
    for tok in reversed(toks):
        if tok.type == "RPAR":
            depth += 1
        elif tok.type == "LPAR":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and (tok.type == "COMP_OP" or str(tok) in ("between", "in", "is")):
            return True
        elif depth == 0 and str(tok) in ("and", "or", "not", "when", "then", "else", "=", "where"):
            return False
    return False


def _expected_help(expected) -> str | None:
    if not expected:
        return None
    names = sorted({_words(t) for t in expected if not t.startswith("__ANON") or t in WORDS})
    if not names:
        return None
    if len(names) > 8:
        names = names[:8] + ["…"]
    return "expected " + (names[0] if len(names) == 1 else "one of: " + ", ".join(names))
