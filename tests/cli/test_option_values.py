"""Option values read without pydantic (cli_values.py): the same values and the same
words for a wrong one as typer's own readers, through the real command line."""
from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from segdsl import cli_values
from segdsl.cli import app

runner = CliRunner()

RULES = '''ruleset shop "商店" version "1"
input customer key id {
  id:    string
  spend: number?
}
dimension value "价值" first {
  segment vip "贵宾" when spend >= 500
  otherwise rest "其他"
}
'''


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "r.seg"
    p.write_text(RULES, encoding="utf-8")
    (tmp_path / "c.csv").write_text("id,spend\na,600\nb,1\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("args, message", [
    (["check", "{rules}", "--format", "bogus"],
     "Invalid value for '--format': Value error, 'bogus' is not one of 'text', 'json', 'sarif', 'github'."),
    (["apply", "{rules}", "-i", "{data}", "--batch-size", "0"],
     "Invalid value for '--batch-size': Input should be greater than or equal to 1"),
    (["apply", "{rules}", "-i", "{data}", "--batch-size", "many"],
     "Invalid value for '--batch-size': Input should be a valid integer, unable to parse string as an integer"),
    (["apply", "{rules}", "-i", "{data}", "--batch-size", "2.5"],
     "Invalid value for '--batch-size': Input should be a valid integer, got a number with a fractional part"),
    (["test", "{rules}", "--min-coverage", "most"],
     "Invalid value for '--min-coverage': Input should be a valid number, unable to parse string as a number"),
    (["--lang", "fr", "check", "{rules}"],
     "Invalid value for '--lang': Value error, 'fr' is not one of 'zh', 'en'."),
])
def test_a_wrong_value_is_worded_as_typer_words_it(rules, args, message):
    args = [a.format(rules=rules, data=rules.parent / "c.csv") for a in args]
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert message in " ".join(r.output.split())


def test_values_reach_the_command_typed(rules, tmp_path):
    out = tmp_path / "o.csv"
    r = runner.invoke(app, ["apply", str(rules), "-i", f"customer={tmp_path / 'c.csv'}", "-o", str(out),
                            "--batch-size", " 1_000 ", "--on-error", "skip", "--labels"])
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8").splitlines()[1:] == ["a,vip,贵宾", "b,rest,其他"]
    r = runner.invoke(app, ["test", str(rules), "--min-coverage", "1e1", "--format", "json"])
    assert r.exit_code == 1          # no test blocks: 0 % coverage is below 10 %


def test_every_option_of_every_command_has_a_plain_reader():
    """A new option of another kind would keep typer's pydantic reader (still right, only slower)."""
    command = typer.main.get_command(app)
    missing = []

    def walk(c):
        for p in c.params:
            desc = getattr(p, "type_descriptor", None)
            if desc is not None and cli_values._reader(desc.annotation, desc.parameter_info) is None:
                missing.append(f"{c.name} {p.name}")
        for sub in getattr(c, "commands", {}).values():
            walk(sub)
    walk(command)
    assert missing == []


def test_a_path_argument_is_a_path(rules):
    reader = cli_values._reader(Path, typer.models.ArgumentInfo())
    from typer._param_types import coerce_cli_path
    assert reader(str(rules), None, None, None, coerce_cli_path) == rules
