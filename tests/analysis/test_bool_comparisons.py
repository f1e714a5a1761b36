"""A bool field compared with a constant (`tries_new = false`) is analysed like any other
condition: the dimension checks build only the comparison written."""
from __future__ import annotations

from typer.testing import CliRunner

from segdsl.cli import app

RULES = """ruleset r version "1"
input customer {
  tries_new: bool?
}
dimension adoption first {
  segment early    when tries_new
  segment follower when tries_new = false
  segment other    when tries_new != true
  otherwise unknown
}
"""


def test_a_bool_compared_with_a_constant(tmp_path):
    f = tmp_path / "r.seg"
    f.write_text(RULES, encoding="utf-8")
    r = CliRunner().invoke(app, ["check", str(f)])
    assert r.exit_code == 0, r.output
    assert "warning[SEG404]: segment `other` can never match" in r.output   # `follower` took them all
