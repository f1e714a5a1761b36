"""The solver's time budgets: each dimension has its own, and the file has one for all its
dimensions together. The dimensions the file's budget leaves get SEG499 saying so, in Chinese
too, and the command line shows them as notes, never a traceback."""
from __future__ import annotations

from functools import partial

import pytest
from typer.testing import CliRunner

from segdsl.analysis import dimensions
from segdsl.check.frontend import check_file
from segdsl.cli import app
from segdsl.i18n.catalog import translate
from segdsl.service.witnesses import confirm

DIMENSIONS = 6

HEADER = "ruleset t\ninput customer key id {\n  id: string\n  age: int? in 0..120\n  n: int in 1..5\n}\n"
RULES = HEADER + "".join(
    f"dimension d{i} first {{\n  segment a{i} when age < {20 + i}\n  segment b{i} when age < {10 + i}\n"
    f"  segment c{i} when n > 5\n  otherwise o{i}\n}}\n" for i in range(DIMENSIONS))

BEFORE = ("the solver's time budget for the file ({s:g} s for all its dimensions, analysed in the order they "
          "are declared) ran out before it")
WHILE = BEFORE.replace("before it", "while it was analysed")


@pytest.fixture
def ruleset(tmp_path):
    p = tmp_path / "rules.seg"
    p.write_text(RULES, encoding="utf-8")
    result = check_file(p)
    assert result.ok, result.diagnostics
    return result.ruleset


def found(rs, **budgets) -> list:
    return dimensions.findings(rs, partial(confirm, rs), **budgets)


def test_an_ample_budget_finds_every_dimensions_findings(ruleset):
    got = found(ruleset, file_budget=600.0, budget=600.0)
    assert sorted((f.diagnostic.code, f.dimension) for f in got) == sorted(
        (code, f"d{i}") for i in range(DIMENSIONS) for code in ("SEG404", "SEG406"))


def test_no_file_budget_leaves_every_dimension_with_a_note_saying_so(ruleset):
    got = found(ruleset, file_budget=0.0)
    assert [(f.diagnostic.code, f.dimension) for f in got] == [("SEG499", f"d{i}") for i in range(DIMENSIONS)]
    for f in got:
        assert f.diagnostic.message == f"dimension `{f.dimension}` was not analysed: " + BEFORE.format(s=0)
        assert f.diagnostic.help == dimensions.FILE_HELP and "file_budget" in f.diagnostic.help


def test_a_tiny_file_budget_leaves_the_last_dimensions(ruleset):
    """Dimensions are analysed in declaration order: the ones left are a suffix, the first of them
    possibly part-analysed (its findings so far kept), every later one never started."""
    got = found(ruleset, file_budget=0.005)
    notes = [f for f in got if f.diagnostic.code == "SEG499"]
    assert notes and notes[-1].dimension == f"d{DIMENSIONS - 1}"
    left = [f.dimension for f in notes]
    assert left == [f"d{i}" for i in range(DIMENSIONS - len(left), DIMENSIONS)], left
    words = [f.diagnostic.message.split(": ", 1)[1] for f in notes]
    assert set(words[1:]) <= {BEFORE.format(s=0.005)}
    assert words[0] in (BEFORE.format(s=0.005), WHILE.format(s=0.005))
    assert not [f for f in got if f.dimension in left[1:] and f.diagnostic.code != "SEG499"]


def test_a_dimensions_own_budget_keeps_its_words(ruleset):
    """Running out of a dimension's own budget (the file's has plenty left) is the per-dimension
    note, and the next dimension is still analysed."""
    got = found(ruleset, budget=0.0, file_budget=600.0)
    assert [f.diagnostic.code for f in got] == ["SEG499"] * DIMENSIONS
    assert all(f.diagnostic.message.endswith("the solver's time budget (0 s per dimension) ran out") for f in got)
    assert all(f.diagnostic.help == dimensions.NOT_CHECKED for f in got)


def test_the_file_budget_notes_read_in_chinese():
    before = "dimension `d3` was not analysed: " + BEFORE.format(s=10)
    assert translate(before, "zh") == ("维度 `d3` 未做分析：求解器给整个文件的时间预算（所有维度共 10 秒，按声明顺序逐个分析）"
                                       "在轮到它之前已用完")
    assert "在分析它的途中用完" in translate("dimension `d3` was not analysed: " + WHILE.format(s=10), "zh")
    assert "file_budget" in translate(dimensions.FILE_HELP, "zh") != dimensions.FILE_HELP


def test_the_command_line_shows_the_notes(tmp_path, monkeypatch):
    monkeypatch.setattr(dimensions, "FILE_BUDGET_SECONDS", 0.0)
    p = tmp_path / "rules.seg"
    p.write_text(RULES, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--format", "json", str(p)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.stdout.count('"SEG499"') == DIMENSIONS and "ran out before it" in result.stdout


def test_the_command_line_gives_the_solver_the_times_asked_for(tmp_path):
    """`--solver-file-seconds` and `--solver-seconds`: the budgets the notes then name; a time
    that is no number of seconds is a usage error."""
    many = 60      # more dimensions than the solver analyses in a tenth of a second
    p = tmp_path / "rules.seg"
    p.write_text(HEADER + "".join(
        f"dimension d{i} first {{\n  segment a{i} when age < {20 + i}\n  segment b{i} when age < {10 + i}\n"
        f"  otherwise o{i}\n}}\n" for i in range(many)), encoding="utf-8")

    def notes(*options):
        result = CliRunner().invoke(app, ["check", "--format", "json", *options, str(p)])
        assert result.exit_code == 0, result.output
        return result.stdout

    assert '"SEG499"' not in notes()
    assert '"SEG499"' not in notes("--solver-seconds", "60", "--solver-file-seconds", "600")
    few = notes("--solver-file-seconds", "0.1")
    assert "ran out" in few and "0.1 s for all its dimensions" in few
    assert "--solver-file-seconds" in dimensions.FILE_HELP
    for bad in ("0", "-1", "inf", "nan", "soon"):
        result = CliRunner().invoke(app, ["check", "--solver-seconds", bad, str(p)])
        assert result.exit_code == 2 and "--solver-seconds" in result.output, (bad, result.output)
