"""Where a syntax error points, and what it suggests.

* A missing `)`, `]` or `}` is found where the next line starts; the diagnostic also
  names the bracket left open (a note, or the message for a block followed by a
  declaration).
* A keyword typed against Chinese text (`when信用`, `高when`, `not信用`) is "add a
  space", not a misspelling.
* An unknown function is suggested by meaning (`percentile` → percent_rank,
  quantile) as well as by spelling.
"""
from __future__ import annotations

import pytest

from segdsl.check.frontend import check_file

HEAD = "ruleset t\ninput customer key id {\n  id: string\n  a: int\n  b: int\n  信用: int\n}\n"   # 7 lines


def _diags(text: str):
    result = check_file("s.seg", text)
    assert not result.ok
    return result.diagnostics


UNCLOSED = {
    # name: (text after HEAD, the opener's line and column, where the error is reported)
    "paren-in-let": ("let x = (a + b\ndimension v first {\n  otherwise lo\n}\n", (8, 9), (9, 1)),
    "paren-in-condition": ("dimension v first {\n  segment hi when (a > 1 and b > 2\n  otherwise lo\n}\n",
                           (9, 19), (10, 3)),
    "nested-parens": ("dimension v first {\n  segment hi when ((a > 1) and (b > 2)\n  otherwise lo\n}\n",
                      (9, 19), (10, 3)),
    "call": ("let p = abs(a\ndimension v first {\n  otherwise lo\n}\n", (8, 12), (9, 1)),
    "list": ("dimension v first {\n  segment hi when a in [1, 2\n  otherwise lo\n}\n", (9, 24), (10, 3)),
    "attributes": ('dimension v first {\n  segment hi when a > 1 { channel: "x"\n  segment lo when a > 0\n}\n',
                   (9, 25), (10, 3)),
    "dimension-before-test": ('dimension v first {\n  otherwise lo\n\ntest "x" {\n  given { id: "1", a: 1, b: 1, '
                              '信用: 1 }\n  expect v = lo\n}\n', (8, 19), (11, 1)),
    "dimension-before-dimension": ("dimension v first {\n  otherwise lo\ndimension w first {\n  otherwise lo\n}\n",
                                   (8, 19), (10, 1)),
    "dimension-before-let": ("dimension v first {\n  otherwise lo\nlet z = 1\n", (8, 19), (10, 1)),
}


@pytest.mark.parametrize("name", UNCLOSED)
def test_an_unclosed_bracket_is_named_with_its_place(name):
    body, (oline, ocol), (line, col) = UNCLOSED[name]
    [d] = _diags(HEAD + body)
    assert d.code == "SEG001", d
    assert (d.span.line, d.span.col) == (line, col), d
    said = " ".join((d.message, *d.notes))
    assert f"opened at line {oline}, column {ocol}" in said, said


def test_an_input_block_left_open_is_not_a_reserved_word_misuse():
    text = "ruleset t\ninput customer key id {\n  id: string\n  a: int\ndimension v first {\n  otherwise lo\n}\n"
    [d] = _diags(text)
    assert d.code == "SEG001" and (d.span.line, d.span.col) == (5, 1)
    assert "expected `}` to close the `{` opened at line 2" in d.message and "found `dimension`" in d.message


@pytest.mark.parametrize("line", ["segmnt hi when a > 1", "segment hi whne a > 1", "segment hi when a >"])
def test_a_slip_inside_an_open_block_gets_no_bracket_note(line):
    [d] = _diags(HEAD + f"dimension v first {{\n  {line}\n  otherwise lo\n}}\n")
    assert not any("opened at" in n for n in d.notes), d


GLUED = {
    "after-label": ('segment hi "高" when信用 >= 3', (9, 18), "`when信用` reads as one name", "`when 信用`"),
    "after-name": ("segment hi when信用 >= 3", (9, 14), "`when信用` reads as one name", "`when 信用`"),
    "and": ("segment hi when a > 1 and信用 > 2", (9, 25), "`and信用`", "`and 信用`"),
    "before-keyword": ("segment 高when 信用 > 1", (9, 11), "`高when` reads as one name", "`高 when`"),
    "not": ("segment hi when not信用 > 1", (9, 19), "`not信用`", "add a space after `not`: `not 信用`"),
}


@pytest.mark.parametrize("name", GLUED)
def test_a_keyword_glued_to_chinese_text_says_add_a_space(name):
    line, (ln, col), message, help_ = GLUED[name]
    [d] = [x for x in _diags(HEAD + f"dimension v first {{\n  {line}\n  otherwise lo\n}}\n") if x.is_error]
    assert (d.span.line, d.span.col) == (ln, col), d
    assert message in d.message + (d.help or "") and help_ in (d.help or ""), d
    assert "did you mean" not in (d.help or "")


MEANING = {
    "percentile": ("percent_rank", "quantile"), "average": ("avg", "mean"), "decile": ("ntile",),
    "total": ("sum",), "datediff": ("days_between",), "nvl": ("coalesce",), "strlen": ("length",),
    "percentrank": ("percent_rank",),
}


@pytest.mark.parametrize("word", MEANING)
def test_an_unknown_function_is_suggested_by_meaning_and_spelling(word):
    [d] = _diags(HEAD + f"let p = {word}(a)\ndimension v first {{\n  segment hi when p > 1\n  otherwise lo\n}}\n")
    assert d.code == "SEG105"
    for name in MEANING[word]:
        assert f"`{name}`" in d.help, d.help
    assert d.help.startswith(f"did you mean `{MEANING[word][0]}`"), "the meaning comes before the spelling"
