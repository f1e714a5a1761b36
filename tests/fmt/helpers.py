"""What every formatting test asks of a result: it checks to the same IR, keeps every comment
in order, and formatting it again changes nothing."""
from __future__ import annotations

from segdsl.check.frontend import check_file
from segdsl.fmt import format_source, shape
from segdsl.fmt.trivia import concrete
from segdsl.source import Source


def comments(text: str) -> list[str]:
    return [str(c).strip() for c in concrete(text.removeprefix("\ufeff"))[1]]


def assert_faithful(text: str, path: str = "rules.seg") -> str:
    result = format_source(Source(path, text))
    assert result.ok, (result.problem, result.diagnostics)
    out = result.text
    assert format_source(Source(path, out)).text == out, "formatting is not idempotent"
    assert "".join("".join(comments(out)).split()) == "".join("".join(comments(text)).split())
    before, after = check_file(path, text=text), check_file(path, text=out)
    assert shape(after.ruleset) == shape(before.ruleset)
    assert [(d.code, d.message) for d in after.diagnostics] == [(d.code, d.message) for d in before.diagnostics]
    return out
