"""A file with errors still gives the IR of what checked cleanly (for an editor's completion),
and nothing that runs rules accepts it."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.check.frontend import check_file
from segdsl.cli import app
from segdsl.passes.dependencies import definition_exprs, references
from tests.helpers import FIXTURES, check_text

RULES = '''
ruleset shop version "1"
input customer key id {
  id: string
  arpu: number?
  age: int
  network: enum { in_net "在网", off_net "离网" }
}
param threshold: number = 100
let yearly = arpu * 12
let big_spender = yearly > threshold * 12
dimension value first {
  segment high when arpu >= threshold
  otherwise low
}
dimension life first {
  segment young when age < 30
  segment old when agee >= 60
  otherwise middle
}
dimension reach first {
  segment on when network = in_net
  otherwise off
}
dimension mix first {
  segment young_high when life = young and value = high
  otherwise rest
}
test "spenders" {
  given { id: "a", arpu: 150, age: 20, network: in_net }
  expect value = high
}
'''


def test_one_broken_segment_leaves_the_inputs_params_lets_and_other_dimensions(tmp_path):
    r = check_text(tmp_path, RULES)
    assert not r.ok
    assert [d.code for d in r.diagnostics if d.is_error] == ["SEG102"]
    rs = r.ruleset
    assert rs is not None and rs.name == "shop"
    assert [f.name for f in rs.customer.fields] == ["id", "arpu", "age", "network"]
    assert [p.name for p in rs.params] == ["threshold"]
    assert [d.name for d in rs.definitions if hasattr(d, "expr")] == ["yearly", "big_spender"]
    # `life` has the error; `mix` reads it, so it is left out too
    assert [d.name for d in rs.dimensions] == ["value", "reach"]
    assert {d.name for d in rs.definitions} == {"yearly", "big_spender", "value", "reach"}
    assert rs.tests[0].name == "spenders" and len(rs.tests[0].cases) == 1


def test_the_partial_ir_is_in_dependency_order(tmp_path):
    rs = check_text(tmp_path, RULES).ruleset
    names = [d.name for d in rs.definitions]
    assert names.index("yearly") < names.index("big_spender")


def test_a_broken_let_is_left_out_with_what_reads_it(tmp_path):
    r = check_text(tmp_path, RULES.replace("let yearly = arpu * 12", "let yearly = arpuu * 12"))
    assert [d.code for d in r.diagnostics] == ["SEG102", "SEG102"]     # arpuu, then agee
    lets = [d.name for d in r.ruleset.definitions if hasattr(d, "expr")]
    assert lets == []
    assert [d.name for d in r.ruleset.dimensions] == ["value", "reach"]


def test_a_dimension_cycle_leaves_the_others(tmp_path):
    text = RULES.replace("when agee >= 60", "when age >= 60 and mix = rest")
    r = check_text(tmp_path, text)
    assert [d.code for d in r.diagnostics if d.is_error] == ["SEG110"]
    assert [d.name for d in r.ruleset.dimensions] == ["value", "reach"]


def test_no_lint_is_reported_beside_an_error(tmp_path):
    from segdsl.service.app import check
    (tmp_path / "broken.seg").write_text(RULES.replace("  otherwise off\n", ""), encoding="utf-8")
    r = check(tmp_path / "broken.seg", analyse=True)                    # SEG401 on a clean file
    assert not any(d.code.startswith("SEG4") for d in r.diagnostics)
    (tmp_path / "clean.seg").write_text(RULES.replace("agee", "age").replace("  otherwise off\n", ""),
                                        encoding="utf-8")
    clean = check(tmp_path / "clean.seg", analyse=True)
    assert clean.ok and [d.code for d in clean.diagnostics] == ["SEG403", "SEG401"]   # `big_spender` is unused


def test_a_missing_import_still_gives_the_main_file(tmp_path):
    r = check_text(tmp_path, RULES.replace('version "1"', 'version "1"\nimport "common.seg"').replace("agee", "age"))
    assert [d.code for d in r.diagnostics] == ["SEG108"]
    assert not r.ok
    assert [d.name for d in r.ruleset.dimensions] == ["value", "life", "reach", "mix"]


def test_a_syntax_error_in_the_main_file_gives_no_ir(tmp_path):
    r = check_text(tmp_path, RULES.replace("segment high when", "segment high wen"))
    assert not r.ok and r.ruleset is None


def test_every_command_that_runs_rules_refuses_a_partial_ir(tmp_path):
    p = tmp_path / "rules.seg"
    p.write_text(RULES, encoding="utf-8")
    data = tmp_path / "c.csv"
    data.write_text("id,arpu,age,network\na,150,20,in_net\n", encoding="utf-8")
    runner = CliRunner()
    for args in (["test", str(p)], ["compile", str(p), "--target", "python"],
                 ["apply", str(p), "--input", f"customer={data}", "-o", str(tmp_path / "o.parquet")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert "SEG102" in result.output
    assert not (tmp_path / "o.parquet").exists()
    with pytest.raises(segdsl.RulesetError) as failed:
        segdsl.load(p)
    assert [d.code for d in failed.value.diagnostics] == ["SEG102"]


def test_every_partial_ir_is_closed_and_ordered():
    """Each line of a real rule file left out in turn: whatever IR comes back reads only
    definitions it holds, each after what it reads."""
    path = FIXTURES / "examples" / "telecom.seg"
    lines = path.read_text(encoding="utf-8").split("\n")
    partial = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        r = check_file(path, "\n".join(lines[:i] + lines[i + 1:]))
        if r.ok or r.ruleset is None:
            continue
        partial += 1
        seen: set[str] = set()
        for d in r.ruleset.definitions:
            assert references(definition_exprs(d)) <= seen, (i + 1, d.name)
            seen.add(d.name)
        assert {d.name for d in r.ruleset.dimensions} <= seen
    assert partial >= 10
