"""What CI systems read: `check --format sarif|github`, `test --format junit`, `--strict`, and
the warnings a project hides (`# segdsl: ignore[...]`, `[tool.segdsl]` in pyproject.toml)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from segdsl.cli import app

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "sarif-schema-2.1.0.json"
CASES = Path(__file__).resolve().parent / "cases"
runner = CliRunner()

GAP = """ruleset t
input customer key id {
  id: string
  age: int in 0..120
  tier: enum { gold, silver }
}
dimension life first {
  segment senior "老年" when age >= 60
}
dimension level unique {
  segment a when tier = gold or age > 100
  segment b when tier = silver or age > 100
}
"""


def run(*args: str, cwd: Path | None = None):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def write(tmp_path: Path, text: str, name: str = "rules.seg") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_sarif_validates_against_the_official_schema_one_result_per_finding(tmp_path):
    p = write(tmp_path, GAP)
    r = run("check", "--format", "sarif", str(p), str(CASES / "SEG499_not_analysed.seg"))
    assert r.exit_code == 1            # SEG307 is an error
    log = json.loads(r.stdout)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    results = log["runs"][0]["results"]
    got = [(x["ruleId"], x["level"], x["locations"][0]["physicalLocation"]["region"]["startLine"]) for x in results]
    assert got == [("SEG401", "warning", 7), ("SEG307", "error", 12), ("SEG499", "note", 8)]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [rules[x["ruleIndex"]]["id"] for x in results] == [x["ruleId"] for x in results]
    assert "age = 0" in results[0]["message"]["text"] or "age = " in results[0]["message"]["text"]


def test_sarif_of_a_clean_file_has_no_result_and_still_validates(tmp_path):
    r = run("check", "--format", "sarif", "rulesets/telecom.seg")
    assert r.exit_code == 0
    log = json.loads(r.stdout)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    assert log["runs"][0]["results"] == []


def test_github_annotations_one_line_per_finding(tmp_path):
    p = write(tmp_path, GAP)
    r = run("check", "--format", "github", str(p))
    lines = r.stdout.strip().split("\n")
    assert lines[0].startswith(f"::warning file={p},line=7,col=11,endLine=7,endColumn=15,title=SEG401::"
                               "dimension `life` has no `otherwise`")
    assert lines[1].startswith(f"::error file={p},line=12,col=11,") and "title=SEG307::" in lines[1]
    assert len(lines) == 2 and r.exit_code == 1


def test_github_escapes_what_would_end_a_command():
    from segdsl.diagnostics.github import command
    from segdsl.diagnostics.values import Diagnostic
    from segdsl.source import Span
    line = command(Diagnostic("SEG401", "a 100% gap\nnext", Span("a,b:c.seg", 1, 2, 1, 3)))
    assert line == "::warning file=a%2Cb%3Ac.seg,line=1,col=2,endLine=1,endColumn=3,title=SEG401::a 100%25 gap%0Anext"


TESTS = """ruleset t
input customer key id {
  id: string
  age: int in 0..120
}
dimension life first {
  segment senior "老年" when age >= 60
  otherwise other
}
test "a senior" {
  given { id: "a", age: 70 }
  expect life = senior
}
test "table" table {
  age | expect life
  65  | senior
  30  | senior
}
"""


def test_junit_one_testcase_per_case_and_row_failures_say_expected_and_actual(tmp_path):
    p = write(tmp_path, TESTS)
    broken = write(tmp_path, "ruleset b\ninput customer key id { id: string }\n", "broken.seg")
    r = run("test", "--format", "junit", str(p), str(broken))
    assert r.exit_code == 1
    root = ET.fromstring(r.stdout)
    suites = root.findall("testsuite")
    assert [s.get("tests") for s in suites] == ["3", "1"] and root.get("failures") == "1"
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == ["a senior", "table (row 1)", "table (row 2)"]
    assert [c.get("line") for c in cases] == ["10", "16", "17"]
    failure = cases[2].find("failure")
    assert failure.get("message") == "expected life = senior, got other"
    assert "life: expected senior, got other" in failure.text and "decided by: age = 30" in failure.text
    assert cases[0].find("failure") is None
    error = suites[1].find("testcase/error")
    assert error is not None and "SEG306" in error.text


def test_strict_makes_warnings_fail_check_and_test(tmp_path):
    p = write(tmp_path, TESTS.replace("  otherwise other\n", "").replace("got other", ""))
    assert run("check", str(p)).exit_code == 0
    assert run("check", "--strict", str(p)).exit_code == 1
    fixed = write(tmp_path, TESTS.replace("  30  | senior\n", ""), "fixed.seg")
    assert run("test", str(fixed)).exit_code == 0
    gap = write(tmp_path, TESTS.replace("  otherwise other\n", "").replace("  30  | senior\n", ""), "gap.seg")
    assert run("test", str(gap)).exit_code == 0
    assert run("test", "--strict", str(gap)).exit_code == 1


def test_a_note_never_fails_strict():
    assert run("check", "--strict", str(CASES / "SEG499_not_analysed.seg")).exit_code == 0


def test_ignore_on_the_line(tmp_path):
    p = write(tmp_path, GAP.replace("dimension life first {", "dimension life first {  # segdsl: ignore[SEG401]"))
    codes = [d["code"] for d in json.loads(run("check", "--format", "json", str(p)).stdout)]
    assert codes == ["SEG307"]
    other = write(tmp_path, GAP.replace("dimension life first {", "dimension life first {  # segdsl: ignore[SEG404]"),
                  "other.seg")
    assert [d["code"] for d in json.loads(run("check", "--format", "json", str(other)).stdout)] == ["SEG401", "SEG307"]


def test_errors_are_never_hidden(tmp_path):
    p = write(tmp_path, GAP.replace("segment b when", "segment b when  # segdsl: ignore[SEG307]\n   "))
    (tmp_path / "pyproject.toml").write_text('[tool.segdsl]\nignore = ["SEG3"]\n', encoding="utf-8")
    assert "SEG307" in [d["code"] for d in json.loads(run("check", "--format", "json", str(p)).stdout)]


def test_project_select_and_ignore(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.segdsl]\nignore = ["SEG401"]\n', encoding="utf-8")
    sub = tmp_path / "rules"
    sub.mkdir()
    p = write(sub, GAP + "let unused = 1\n")
    assert [d["code"] for d in json.loads(run("check", "--format", "json", str(p)).stdout)] == ["SEG403", "SEG307"]
    (tmp_path / "pyproject.toml").write_text('[tool.segdsl]\nselect = ["SEG40"]\nignore = ["SEG403"]\n',
                                             encoding="utf-8")
    from segdsl.service import config
    config.read.cache_clear()
    assert [d["code"] for d in json.loads(run("check", "--format", "json", str(p)).stdout)] == ["SEG401", "SEG307"]


def test_a_malformed_project_table_is_a_usage_error(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.segdsl]\nignore = ["SEG4O1"]\n', encoding="utf-8")
    p = write(tmp_path, GAP)
    r = run("check", str(p))
    assert r.exit_code == 2 and "pyproject.toml: [tool.segdsl] ignore: `SEG4O1` is no diagnostic code" in r.output
    (tmp_path / "pyproject.toml").write_text('[tool.segdsl]\nignores = ["SEG401"]\n', encoding="utf-8")
    from segdsl.service import config
    config.read.cache_clear()
    r = run("check", str(p))
    assert r.exit_code == 2 and "has no setting `ignores`" in r.output
