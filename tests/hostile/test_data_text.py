"""Controls inside data never reach the terminal raw.

A data value in a bad-row reason is quoted with its controls escaped
(`'\\x1b[31m'`), the same words on every engine; anything else from the data in a
message (a column name in a header, a key) is shown the way rule-file text is
(render.visible: ␛ for ESC, `<U+202E>` for a direction control), and so is
a value in `explain`'s tree."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import registry

runner = CliRunner()
ENGINES = registry.names()
ESC, RLO = "\x1b", "\u202e"
RULES = """ruleset e
input customer key id {
  id: string
  c: enum { a, b }
  s: string?
}
dimension x first {
  segment v when c = a and s = "a"
  otherwise o
}
"""


def _raw_controls(text: str) -> bool:
    return ESC in text or RLO in text or "\x07" in text


def _files(tmp_path, data: str):
    (tmp_path / "e.seg").write_text(RULES, encoding="utf-8")
    (tmp_path / "e.csv").write_text(data, encoding="utf-8")
    return tmp_path / "e.seg", tmp_path / "e.csv"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_bad_value_holding_controls_is_escaped_alike_on_every_engine(tmp_path, engine):
    rules, data = _files(tmp_path, f"id,c,s\n1,a,x\n2,{ESC}[31mred{RLO},y\n")
    r = runner.invoke(app, ["apply", str(rules), "--input", f"customer={data}", "--output",
                            str(tmp_path / "o.csv"), "--engine", engine])
    assert r.exit_code == 1
    assert not _raw_controls(r.output), r.output
    assert "row 2 (line 3): c = '\\x1b[31mred\\u202e' is not one of a, b" in r.output


@pytest.mark.parametrize("engine", ENGINES)
def test_a_column_name_holding_controls_is_shown_as_rule_text_is(tmp_path, engine):
    rules, data = _files(tmp_path, f"id,{ESC}[31mzz{RLO}{chr(7)},s\n1,a,x\n")
    r = runner.invoke(app, ["apply", str(rules), "--input", f"customer={data}", "--output",
                            str(tmp_path / "o.csv"), "--engine", engine])
    assert r.exit_code == 1
    assert not _raw_controls(r.output), r.output
    assert '"␛[31mzz<U+202E>␇"' in r.output


def test_explain_shows_a_value_holding_controls_as_rule_text_is(tmp_path):
    rules, data = _files(tmp_path, f"id,c,s\n1,a,{ESC}[31mx{RLO}\n")
    r = runner.invoke(app, ["explain", str(rules), "--input", f"customer={data}", "--id", "1"])
    assert r.exit_code == 0, r.output
    assert not _raw_controls(r.output), r.output
    assert "␛[31mx<U+202E>" in r.output
