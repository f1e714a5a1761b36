"""The suggestions a quick fix offers, read from the checker's own help."""
from __future__ import annotations

from segdsl.check.frontend import check_file
from segdsl.diagnostics.values import Diagnostic
from segdsl.lsp.actions import replacements


def help_of(text: str) -> Diagnostic:
    [d] = [d for d in check_file("t.seg", text=text).diagnostics if d.code in ("SEG102", "SEG105")]
    return d


def test_a_misspelt_name_a_function_by_meaning_and_a_glued_keyword():
    base = "ruleset t\ninput c { spend: number? 信用: bool }\n"
    assert replacements(help_of(base + "let x = spnd\n")) == ["spend"]
    assert replacements(help_of(base + "let x = percentile(spend)\n")) == ["percent_rank", "quantile", "ntile"]
    assert replacements(help_of(base + "dimension d first { segment s when not信用 }\n")) == ["not 信用"]


def test_no_suggestion_no_fix():
    assert replacements(Diagnostic("SEG201", "x", None, help="write `a = b`")) == []
    assert replacements(Diagnostic("SEG201", "x", None)) == []
