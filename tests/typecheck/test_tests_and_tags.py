"""Type-checking corners found by writing real rulesets."""
from __future__ import annotations

from typer.testing import CliRunner

from segdsl.cli import app
from tests.helpers import check_text, ruleset

runner = CliRunner()


def test_table_test_pinning_lets_in_a_ruleset_without_customer_input(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset a
related orders of customer by cid { cid: string  amount: number }
let t = sum(orders.amount)
dimension d first { segment big when t > 10 otherwise small }
test "t" table {
  t  | expect d
  11 | big
  2  | small
}
''')
    assert len(rs.tests[0].cases) == 2 and rs.tests[0].cases[0].pins == {"t": 11.0}


def test_tags_compare_with_a_list_of_its_segments(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset a
input c key id { id: string  n: int }
dimension tg all { segment x when n > 1  segment y when n > 5 }
dimension z first { segment both when tg = [y, x] segment one when tg = [x] segment none when tg = [] otherwise other }
''')
    from tests.helpers import segment_both
    got = segment_both(rs, [{"id": "1", "n": 9}, {"id": "2", "n": 3}, {"id": "3", "n": 0}])
    assert [g["z"] for g in got] == ["both", "one", "none"]


def test_a_list_of_other_segments_is_still_an_error(tmp_path):
    r = check_text(tmp_path, '''
ruleset a
input c key id { id: string  n: int }
dimension tg all { segment x when n > 1 }
dimension z first { segment both when tg = [q] otherwise other }
''')
    assert [d.code for d in r.diagnostics if d.is_error] == ["SEG104"]


def test_a_test_may_leave_a_required_field_missing_on_every_engine(tmp_path):
    p = tmp_path / "b.seg"
    p.write_text('''
ruleset b
input c key id { id: string  n: int  g: enum { m, f } }
dimension d first { segment big when n > 5 segment notm when not (g = m) otherwise other }
test "missing required fields are null in tests" { given { id: "1" } expect d = other }
''', encoding="utf-8")
    for engine in ("python", "interp"):
        result = runner.invoke(app, ["test", str(p), "--engine", engine])
        assert result.exit_code == 0, result.output
        assert "1 of 1 test cases passed" in result.output
