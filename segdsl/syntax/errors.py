"""Turns Lark's UnexpectedInput into words an analyst understands.

Lark reports terminal names (`__ANON_3`, `RBRACE`); analysts need "expected a
condition after `when`". The message is chosen from the tokens before the
error (lexed the way the parser saw them), from what the parser could have
accepted there, and from a few common slips: full-width punctuation, a
misspelt keyword, `==` or `<>` from other languages, an unclosed bracket.
"""
from __future__ import annotations

import dataclasses

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics.values import Diagnostic
from .keywords import KEYWORDS
from ..source import Source, Span
from ..diagnostics.suggest import closest

FULL_WIDTH = {"，": ",", "：": ":", "（": "(", "）": ")", "；": ";", "【": "[", "】": "]",
              "“": '"', "”": '"', "｛": "{", "｝": "}", "＝": "=", "＞": ">", "＜": "<",
              "！": "!", "。": ".", "‘": "'", "’": "'", "％": "%", "｜": "|", "、": ",",
              "－": "-", "＋": "+", "＊": "*", "／": "/", "［": "[", "］": "]", "　": " ",
              "「": '"', "」": '"', "『": '"', "』": '"', "《": '"', "》": '"', "＃": "#"}

# characters people bring from other languages, and what segdsl writes instead
FOREIGN = {
    "'": 'text is written in double quotes: "like this"',
    "&": "write `and`",
    "|": "write `or` (a `|` only separates the cells of a `table` test)",
    "!": "write `not`, or `!=` for not equal",
    "%": "write the percent sign right after the number, without a space: `95%`",
    ";": "statements need no `;`: start the next one on a new line",
    "@": None, "$": None, "^": None, "~": None, "`": "names are written without quotes",
    "\\": "a backslash is only allowed inside text in double quotes",
}

# what some terminals mean, in words; other keyword and punctuation terminals are shown as `text`
WORDS = {
    "NAME": "a name", "STRING": "text in double quotes", "NUMBER": "a number",
    "PERCENT": "a percentage", "DATE": "a date (2026-11-01)", "DATETIME": "a date and time",
    "COMP_OP": "a comparison (=, !=, <, <=, >, >=)", "NULLABLE": "`?`", "TABLE_TEXT": "table rows",
    "$END": "the end of the file",
}

VALUE_STARTS = {"NAME", "NUMBER", "PERCENT", "STRING", "DATE", "DATETIME", "LPAR", "LSQB", "MINUS",
                "TRUE", "FALSE", "NULL", "CASE", "NOT"}
CONDITION_AFTER = {"when", "and", "or", "not", "where"}
VALUE_AFTER = {"then", "else", "between", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "(", ","}
NAME_AFTER = {"segment": "a segment name", "let": "a name for the value", "param": "a parameter name",
              "dimension": "a dimension name", "input": "the input's name", "related": "the related input's name",
              "otherwise": "a segment name", "ruleset": "the ruleset's name", "key": "the key field's name",
              "of": "the customer input's name", "by": "the key field's name", "expect": "a dimension name",
              "with": "the name of a `let` to pin"}
QUOTED_AFTER = {"import": "the file path in double quotes", "version": "the version in double quotes",
                "test": "the test's name in double quotes", "from": "the column name in double quotes"}
OPENERS = {"LBRACE": "RBRACE", "LPAR": "RPAR", "LSQB": "RSQB"}
CLOSERS = {v: k for k, v in OPENERS.items()}
TEXT = {"LBRACE": "{", "RBRACE": "}", "LPAR": "(", "RPAR": ")", "LSQB": "[", "RSQB": "]"}
COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}
OPERATOR_FIXES = {"==": "=", "<>": "!=", "=>": ">=", "=<": "<=", "=!": "!=", ">>": ">", "<<": "<"}
BELONGS_INSIDE = {"segment": "inside a `dimension NAME first { ... }` block",
                  "otherwise": "last inside a `dimension NAME first { ... }` block",
                  "given": "inside a `test \"...\" { ... }` block", "expect": "inside a `test \"...\" { ... }` block",
                  "when": "after a segment's name: `segment NAME when CONDITION`"}
TOP_LEVEL = {"RULESET", "IMPORT", "INPUT", "RELATED", "PARAM", "LET", "DIMENSION", "TEST"}


def _span(source: Source, line: int, col: int, width: int = 1) -> Span:
    return Span(source.path, line, col, line, col + max(width, 1))


def _tok_span(source: Source, tok: Token) -> Span:
    text = str(tok).split("\n", 1)[0]
    return _span(source, tok.line, tok.column, len(text))


def _terminal_text(parser: Lark, term: str) -> str | None:
    """The literal text of a keyword or punctuation terminal (`when`, `..`), else None."""
    for t in parser.terminals:
        if t.name == term:
            return t.pattern.value if type(t.pattern).__name__ == "PatternStr" else None
    return None


def _words(parser: Lark, term: str) -> str:
    if term in WORDS:
        return WORDS[term]
    lit = _terminal_text(parser, term)
    return f"`{lit}`" if lit is not None else term.lower()


def _tokens(parser: Lark, text: str) -> list[Token]:
    """The tokens of `text` as the parser saw them (the contextual lexer: a keyword where a
    name is expected is a NAME), up to the first error or the end."""
    toks: list[Token] = []
    try:
        for tok in parser.parse_interactive(text, start="start").iter_parse():
            toks.append(tok)
    except UnexpectedInput:
        pass
    return toks


def _expected_help(parser: Lark, expected) -> str | None:
    if not expected:
        return None
    expected = set(expected) - {"TABLE_TEXT"} if len(expected) > 1 else set(expected)
    names = []
    if {"NAME", "NUMBER", "STRING"} <= expected:
        names.append("a value (a name, number, text, date, list or `(`)")
        expected = expected - VALUE_STARTS
    names += sorted({_words(parser, t) for t in expected}, key=lambda w: (w.startswith("`"), w))
    if len(names) > 8:
        names = names[:8] + ["…"]
    return "expected " + (names[0] if len(names) == 1 else "one of: " + ", ".join(names))


def _keywords_in(parser: Lark, expected) -> list[str]:
    out = []
    for t in expected or ():
        lit = _terminal_text(parser, t)
        if lit is not None and lit.isalpha():
            out.append(lit)
    return out


def _describe(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the file"
    return f"`{str(tok).splitlines()[0] if str(tok).strip() else str(tok)}`"


def _context(prev: Token | None, prev2: Token | None, expected: set[str]) -> str | None:
    """What the parser wanted, said from the token before the error."""
    if expected and "FIRST" in expected and expected <= {"FIRST", "UNIQUE", "ALL", "STRING"}:
        return "expected a hit policy (`first`, `unique` or `all`) after the dimension name"
    if prev is None:
        return None
    p = str(prev)
    if prev.type == "NAME" and p in KEYWORDS:
        return None                  # a keyword taken as a name: handled by the caller
    if p in CONDITION_AFTER and prev.type != "NAME":
        return f"expected a condition after `{p}`"
    if p == "in" and prev.type == "IN":
        return "expected a list `[a, b]` or an `all` dimension after `in`" if "LSQB" in expected \
            else "expected a range `low..high` after `in`"
    if p == "is":
        return "expected `null` or `not null` after `is`"
    if p in VALUE_AFTER and prev.type not in ("NAME", "STRING") and {"NAME", "NUMBER"} <= expected:
        return f"expected a value after `{p}`"
    if p in NAME_AFTER and prev.type != "NAME" and "NAME" in expected:
        return f"expected {NAME_AFTER[p]} after `{p}`"
    if p in QUOTED_AFTER and prev.type != "NAME" and "STRING" in expected:
        return f"expected {QUOTED_AFTER[p]} after `{p}`"
    if p == ":" and "ENUM" in expected:
        return "expected a type after `:` (int, number, bool, string, date, datetime or enum {...})"
    if p == ":" and {"NAME", "NUMBER"} <= expected:
        return "expected a value after `:`"
    if p == "given" and prev.type == "GIVEN":
        return "expected `{ ... }` (the customer) or a related input's name after `given`"
    if prev.type == "NAME" and "COLON" in expected and len(expected) <= 2:
        what = "parameter" if prev2 is not None and str(prev2) == "param" else "field"
        return f"expected `:` and a type after the {what} name `{p}`"
    if prev.type == "NAME" and prev2 is not None and str(prev2) == "segment" and "WHEN" in expected:
        return "expected `when` and a condition after the segment name"
    if prev.type == "STRING" and prev2 is not None and prev2.type == "NAME" and "WHEN" in expected:
        return "expected `when` and a condition after the segment's label"
    return None


def _unexpected_character(source: Source, pos: int, line: int, col: int, allowed=None,
                          parser: Lark | None = None) -> Diagnostic:
    ch = source.text[pos] if pos < len(source.text) else ""
    span = _span(source, line, col)
    if ch in FULL_WIDTH:
        name = unicodedata_name(ch)
        return Diagnostic("SEG003", f"full-width punctuation `{ch}`{name}", span,
                          help=f"use the ASCII `{FULL_WIDTH[ch]}` instead (switch the input method to English)")
    if ch == '"':
        return Diagnostic("SEG002", "this text is not closed on its line", span,
                          help='close it with `"`; text cannot span lines (write \\" for a quote inside it)')
    shown = repr(ch)[1:-1] if not ch.isprintable() else ch
    hint = FOREIGN.get(ch)
    nxt = source.text[pos + 1: pos + 2]
    if ch == "&" and nxt == "&" or ch == "|" and nxt == "|":
        hint = "write `and`" if ch == "&" else "write `or`"
    if hint is None and parser is not None:
        hint = _expected_help(parser, allowed)
    return Diagnostic("SEG005", f"the character `{shown}` is not allowed here", span, help=hint)


def unicodedata_name(ch: str) -> str:
    import unicodedata
    try:
        return f" ({unicodedata.name(ch).lower()})"
    except ValueError:
        return ""


def syntax_diagnostic(source: Source, exc: UnexpectedInput, parser: Lark) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(source, exc.pos_in_stream, exc.line, exc.column, exc.allowed, parser)
    if isinstance(exc, UnexpectedToken):
        return _unexpected_token(source, exc, parser)
    if isinstance(exc, UnexpectedEOF):
        return _end_of_file(source, set(exc.expected or ()), parser)
    return Diagnostic("SEG001", "syntax error", _span(source, exc.line or 1, exc.column or 1))


def _end_of_file(source: Source, expected: set[str], parser: Lark) -> Diagnostic:
    toks = _tokens(parser, source.text)
    stack = _open_brackets(toks)
    if stack:
        opener = stack[-1]
        closer = TEXT[OPENERS[opener.type]]
        return Diagnostic("SEG001", f"this `{opener}` is never closed: the file ends first",
                          _tok_span(source, opener), help=f"add the closing `{closer}`")
    lines = source.text.splitlines() or [""]
    span = _span(source, len(lines), len(lines[-1]) + 1)
    prev = toks[-1] if toks else None
    prev2 = toks[-2] if len(toks) > 1 else None
    ctx = _context(prev, prev2, expected)
    return Diagnostic("SEG001", (ctx + ", but the file ends") if ctx else "the file ends too early",
                      span, help=_expected_help(parser, expected))


def _open_brackets(toks: list[Token]) -> list[Token]:
    stack: list[Token] = []
    for t in toks:
        if t.type in OPENERS:
            stack.append(t)
        elif t.type in CLOSERS and stack and stack[-1].type == CLOSERS[t.type]:
            stack.pop()
    return stack


def _unexpected_token(source: Source, exc: UnexpectedToken, parser: Lark) -> Diagnostic:
    d = _unexpected_token_here(source, exc, parser)
    opener = _unclosed(source, parser, d)
    if opener is None:
        return d
    closer = TEXT[OPENERS[opener.type]]
    where = f"line {opener.line}, column {opener.column}"
    if d.code == "SEG004":          # not a keyword taken as a name: the block before it is not closed
        return Diagnostic("SEG001", f"expected `{closer}` to close the `{opener}` opened at {where}, "
                                    f"found `{_word_at(source, d.span)}`", d.span,
                          help=f"add `{closer}` where the block ends, before this line")
    return dataclasses.replace(d, notes=d.notes + (f"the `{opener}` opened at {where} is never closed: "
                                                   f"add `{closer}` where it ends",))


def _offset(source: Source, line: int, col: int) -> int:
    lines = source.text.split("\n")
    return sum(len(ln) + 1 for ln in lines[:line - 1]) + col - 1


def _word_at(source: Source, span: Span) -> str:
    pos = end = _offset(source, span.line, span.col)
    while end < len(source.text) and _is_word(source.text[end]):
        end += 1
    return source.text[pos:end]


def _accepts(parser: Lark, text: str, term: str) -> bool:
    """Could `term` come right after `text`?"""
    try:
        ip = parser.parse_interactive(text, start="start")
        ip.exhaust_lexer()
        return term in ip.accepts()
    except UnexpectedInput:
        return False


def _unclosed(source: Source, parser: Lark, d: Diagnostic) -> Token | None:
    """A missing `)` or `}` shows where the next line starts; say which bracket is still open.
    Only when the error starts a new line, the open bracket's closer could have come right
    there, and (for `{`) the line starts with a keyword, which no block holds in that place."""
    if d.span is None or "to close the" in d.message:
        return None
    pos = _offset(source, d.span.line, d.span.col)
    before = source.text[:pos]
    toks = _tokens(parser, before)
    stack = _open_brackets(toks)
    if not stack or toks[-1].end_line >= d.span.line:
        return None
    opener = stack[-1]
    closer = OPENERS[opener.type]
    if opener.type == "LBRACE" and _word_at(source, d.span) not in KEYWORDS:
        return None
    return opener if _accepts(parser, before, closer) else None


def _glued_to_keyword(source: Source, tok: Token, prev: Token | None, kws: list[str]) -> Diagnostic | None:
    """`"高" when信用`: a keyword the parser wants, typed without a space before a name (or after
    one: `高when 信用`), so that the two read as one name. Only where the other side is not
    ASCII (Chinese typed straight after the keyword); an ASCII slip is a misspelling."""
    text = str(tok)
    for kw in sorted(kws, key=len, reverse=True):
        rest = text[len(kw):]
        if text.startswith(kw) and rest and _is_word(rest[0]) and not rest[0].isascii():
            return Diagnostic("SEG001", f"`{text}` reads as one name: a keyword must be separated from the name "
                                        f"that follows", _tok_span(source, tok),
                              help=f"put a space after `{kw}`: `{kw} {rest}`")
        name = str(prev) if prev is not None and prev.type == "NAME" else ""
        head = name[:-len(kw)]
        if name.endswith(kw) and head and not head[-1].isascii():
            return Diagnostic("SEG001", f"`{name}` reads as one name: a keyword must be separated from the name "
                                        f"before it", _tok_span(source, prev),
                              help=f"put a space before `{kw}`: `{head} {kw}`")
    return None


def _unexpected_token_here(source: Source, exc: UnexpectedToken, parser: Lark) -> Diagnostic:
    tok = exc.token
    expected = set(exc.expected or ())
    if tok.type == "$END":
        return _end_of_file(source, expected, parser)
    if tok.type == "TABLE_TEXT" and "TABLE_TEXT" not in expected:
        # nothing else could start here: the first character is the culprit
        return _unexpected_character(source, tok.start_pos, tok.line, tok.column, expected, parser)
    end = tok.end_pos if tok.end_pos is not None else tok.start_pos + len(str(tok))
    if source.text[end:end + 1] in FULL_WIDTH and source.text[end:end + 1]:
        # `ex：pect`, `given｛`: the full-width character right after is the likelier slip
        before = source.text[:end]
        line = before.count("\n") + 1
        return _unexpected_character(source, end, line, end - (before.rfind("\n") + 1) + 1)
    span = _tok_span(source, tok)
    text = str(tok)
    toks = _tokens(parser, source.text[:tok.start_pos])
    prev = toks[-1] if toks else None
    prev2 = toks[-2] if len(toks) > 1 else None
    help_ = _expected_help(parser, expected)

    # `==`, `<>`, `=>`: an operator from another language, lexed as two comparisons
    if text in COMPARISONS and prev is not None and str(prev) in COMPARISONS and prev.end_pos == tok.start_pos:
        both = str(prev) + text
        fix = OPERATOR_FIXES.get(both)
        return Diagnostic("SEG001", f"`{both}` is not an operator", _span(source, prev.line, prev.column, len(both)),
                          help=f"write `{fix}`" if fix else "comparisons are =, !=, <, <=, > and >=")
    if tok.type == "COMP_OP" and "COMP_OP" not in expected and _previous_is_comparison(toks):
        return Diagnostic("SEG209", "comparisons do not chain", span,
                          help="write two comparisons joined by `and`: `a < b and b < c`, or use `between`")

    # a closing bracket that closes nothing, or the wrong thing
    if tok.type in CLOSERS:
        stack = _open_brackets(toks)
        if not stack:
            return Diagnostic("SEG001", f"this `{text}` closes nothing", span,
                              help=f"remove it, or add the `{TEXT[CLOSERS[tok.type]]}` it belongs to")
        if stack[-1].type != CLOSERS[tok.type] and OPENERS[stack[-1].type] in expected:
            o = stack[-1]
            return Diagnostic("SEG001", f"expected `{TEXT[OPENERS[o.type]]}` to close the `{o}` on line "
                                        f"{o.line}, found `{text}`", span, help=help_)

    # a field modifier out of its place: `n: int = 0 from "N"` (`from` was read as the next field's name)
    if prev is not None and prev.type == "NAME" and str(prev) in ("from", "in", "missing") \
            and tok.type in ("STRING", "NUMBER", "DATE", "DATETIME", "LSQB", "MINUS"):
        return Diagnostic("SEG001", f"`{prev}` comes too late in this field", _tok_span(source, prev),
                          help='field modifiers go in this order: `name: type[?] [from "column"] [missing values] '
                               '[in a..b] [= default] ["label"]`')

    # the token before was a keyword taken as a name: `when x > 1 and otherwise ...`
    if prev is not None and prev.type == "NAME" and str(prev) in KEYWORDS:
        p = str(prev)
        if prev2 is not None and prev2.type != "NAME" and (str(prev2) in CONDITION_AFTER or str(prev2) in VALUE_AFTER) \
                and _accepts_value(parser, source.text[:prev.start_pos]):
            what = "a condition" if str(prev2) in CONDITION_AFTER else "a value"
            return Diagnostic("SEG001", f"expected {what} after `{prev2}`, found the keyword `{p}`",
                              _tok_span(source, prev))
        return Diagnostic("SEG004", f"`{p}` is a reserved keyword and cannot be used as a name",
                          _tok_span(source, prev), help=f"choose another name, such as `{p}_`")

    # a keyword where a name belongs: `let when = 1`, `segment first when ...`
    if text in KEYWORDS and "NAME" in expected:
        if prev is not None and (str(prev) in CONDITION_AFTER or str(prev) in VALUE_AFTER) and prev.type != "NAME" \
                and "NUMBER" in expected:
            what = "a condition" if str(prev) in CONDITION_AFTER else "a value"
            return Diagnostic("SEG001", f"expected {what} after `{prev}`, found the keyword `{text}`", span,
                              help=help_)
        return Diagnostic("SEG004", f"`{text}` is a reserved keyword and cannot be used as a name", span,
                          help=f"choose another name, such as `{text}_`")

    ctx = _context(prev, prev2, expected)
    if ctx and ctx.startswith("expected a hit policy"):
        return Diagnostic("SEG001", f"{ctx}, found {_describe(tok)}", span,
                          help="write e.g. `dimension value first { ... }`: `first` (the first matching segment "
                               "wins), `unique` (at most one may match) or `all` (every matching segment, as tags)")
    if text in ("segment", "otherwise") and tok.type != "NAME" and "RBRACE" in expected \
            and not {"SEGMENT", "OTHERWISE"} & expected:
        return Diagnostic("SEG001", f"`{text}` cannot follow the `otherwise` line", span,
                          help="`otherwise` comes last in a dimension, at most once")
    if text in BELONGS_INSIDE and tok.type != "NAME" and expected and expected <= TOP_LEVEL | {"$END"}:
        return Diagnostic("SEG001", f"`{text}` cannot come here", span, help=f"`{text}` goes {BELONGS_INSIDE[text]}")

    # a misspelt keyword: `dimenson`, `segmnt`, `wen`, `frist`
    if tok.type == "NAME":
        kws = _keywords_in(parser, expected)
        glued = _glued_to_keyword(source, tok, prev, kws)
        if glued is not None:
            return glued
        guess = closest(text, kws) if kws else None
        if guess is not None:
            msg = f"{ctx}, found `{text}`" if ctx else f"unknown keyword `{text}`"
            return Diagnostic("SEG001", msg, span, help=f"did you mean `{guess}`?")
        if expected and expected <= TOP_LEVEL:
            guess = closest(text, KEYWORDS)
            if guess in BELONGS_INSIDE:
                return Diagnostic("SEG001", f"unknown keyword `{text}`", span,
                                  help=f"did you mean `{guess}`? it goes {BELONGS_INSIDE[guess]}")
            return Diagnostic("SEG001", f"unexpected `{text}`: a rule file is made of declarations", span,
                              help="each starts with `ruleset`, `import`, `input`, `related`, `param`, `let`, "
                                   "`dimension` or `test`")

    if ctx:
        return Diagnostic("SEG001", f"{ctx}, found {_describe(tok)}", span, help=help_)
    if len(expected) == 1:
        return Diagnostic("SEG001", f"{help_}, found {_describe(tok)}", span)
    return Diagnostic("SEG001", f"unexpected {_describe(tok)}", span, help=help_)


def _accepts_value(parser: Lark, text: str) -> bool:
    """Could an expression start right after `text`?"""
    try:
        ip = parser.parse_interactive(text, start="start")
        ip.exhaust_lexer()
        return {"NUMBER", "NAME"} <= ip.accepts()
    except UnexpectedInput:
        return False


def _previous_is_comparison(toks: list[Token]) -> bool:
    """Is there a comparison (at this bracket depth) before the current one?"""
    depth = 0
    for tok in reversed(toks):
        if tok.type == "RPAR":
            depth += 1
        elif tok.type == "LPAR":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and tok.type == "NAME":
            continue
        elif depth == 0 and (tok.type == "COMP_OP" or str(tok) in ("between", "in", "is")):
            return True
        elif depth == 0 and str(tok) in ("and", "or", "not", "when", "then", "else", "where", "{", "}", ","):
            return False
    return False


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _after_a_word(tree, text: str) -> list[Token]:
    """The tokens that start with a letter, digit or `_` right after one: where a keyword may
    be glued to them. A loop over a stack, not recursion: deep trees too; the few found are
    sorted, not every token of the file."""
    found, stack = [], [tree]
    while stack:
        for c in stack.pop().children:
            if isinstance(c, Token):
                start = c.start_pos
                if start and c and _is_word(c[0]) and _is_word(text[start - 1]):
                    found.append(c)
            elif c is not None:
                stack.append(c)
    return found


def glued_keywords(source: Source, tree) -> list[Diagnostic]:
    """`when客户等级` is one name (LANGUAGE.md §11): a keyword must be separated from a following
    name. Where a name cannot come, the contextual lexer splits such a word into the keyword and a
    name; the name then starts right after a letter. Find those in the parse tree and report them."""
    out = []
    text = source.text
    for tok in sorted(_after_a_word(tree, text), key=lambda t: t.start_pos):
        start = tok.start_pos
        word_start = start
        while word_start > 0 and _is_word(text[word_start - 1]):
            word_start -= 1
        keyword = text[word_start:start]
        if keyword not in KEYWORDS and keyword not in ("days", "enum"):
            continue
        end = start
        while end < len(text) and _is_word(text[end]):
            end += 1
        glued = text[word_start:end]
        line = text.count("\n", 0, word_start) + 1
        col = word_start - (text.rfind("\n", 0, word_start) + 1) + 1
        out.append(Diagnostic("SEG001", f"`{glued}` reads as one name: a keyword must be separated from the "
                                        f"name that follows", _span(source, line, col, len(glued)),
                              help=f"put a space after `{keyword}`: `{keyword} {text[start:end]}`"))
    return out
