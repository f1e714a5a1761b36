"""A comment in a table test ends its row wherever it has quotes: in the comment or in a cell."""
from __future__ import annotations

from segdsl.check.frontend import check_file

RULES = 'ruleset t\ninput c { name: string, n: int }\ndimension d first { segment s when n > 1 otherwise o }\n'


def test_a_comment_with_quotes_after_a_row_is_a_comment():
    text = RULES + ('test "t" table {\n  name | n | expect d  # the "header"\n'
                    '  "a#b" | 2 | s  # a "quoted" word\n  "x" | 1 | o # a | b\n}\n')
    result = check_file("t.seg", text=text)
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    [test] = result.ruleset.tests
    assert [c.record["name"] for c in test.cases] == ["a#b", "x"]
