"""One problem, two wordings: the service raises a Problem (code, where, value,
detail); the command line says it with flag names, the Python API with
parameter names. The detail, the code and the exit code (or exception type)
are the same."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.api import DataError, OptionError
from segdsl.cli import app
from segdsl.engines.errors import Problem

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
SAMPLE = ROOT / "segdsl" / "samples" / "telco_customers.csv"


def cli(*args) -> tuple[int, str]:
    r = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in r.output
    return r.exit_code, r.output


# (CLI arguments after `apply TELCO --input SAMPLE`, API keyword arguments, CLI words, API words, exit code, code)
CASES = [
    (["--engine", "sql"], {"engine": "sql"},
     "--engine sql: available engines: duckdb, python", "engine='sql': available engines: duckdb, python", 2,
     "unknown-engine"),
    (["--keep", "_row"], {"keep": "_row"},
     "--keep _row: `_row` is the output's own row number column",
     "keep='_row': `_row` is the output's own row number column", 2, "reserved-column"),
    (["--keep", "nope"], {"keep": "nope"},
     "--keep nope: no column `nope` in", "keep='nope': no column `nope` in", 1, "no-column"),
]


@pytest.mark.parametrize("args, kwargs, cli_words, api_words, exit_code, code", CASES)
def test_the_same_problem_in_cli_and_api_words(tmp_path, args, kwargs, cli_words, api_words, exit_code, code):
    status, output = cli("apply", TELCO, "--input", SAMPLE, "-o", tmp_path / "o.csv", *args)
    assert status == exit_code and f"error: {cli_words}" in output, output
    with pytest.raises(OptionError if exit_code == 2 else DataError) as info:
        segdsl.load(TELCO).apply(SAMPLE, **kwargs)
    assert str(info.value).startswith(api_words), str(info.value)
    problem = info.value.problem
    assert isinstance(problem, Problem) and problem.code == code
    assert "--" not in problem.detail and "=" not in problem.detail.split(":")[0]


def test_an_engine_failure_is_a_problem_at_its_option(tmp_path):
    """DuckDB refuses a memory limit: the engine says which option and value, never a flag."""
    from segdsl.check.frontend import check_file
    from segdsl.engines.options import ApplyOptions
    from segdsl.service import app as service
    from segdsl.service.params import resolve_params
    rs = check_file(TELCO).ruleset
    with pytest.raises(DataError) as info:
        service.apply(rs, "duckdb", ApplyOptions(inputs={"customer": SAMPLE}, params=resolve_params(rs),
                                                 memory_limit="lots"))
    problem = info.value.problem
    assert (problem.code, problem.where, problem.value, problem.usage) == ("bad-memory-limit", "memory_limit",
                                                                           "lots", False)
    assert "--" not in problem.detail
    status, output = cli("apply", TELCO, "--input", SAMPLE, "--memory-limit", "lots")
    assert status == 1 and f"error: --memory-limit lots: {problem.detail}" in output


def test_memory_limit_with_an_engine_that_takes_none(tmp_path):
    status, output = cli("apply", TELCO, "--input", SAMPLE, "--engine", "python", "--memory-limit", "1GB")
    assert status == 2 and "error: --memory-limit 1GB: the python engine takes no memory limit (duckdb does)" in output


def test_stats_file_problems_in_both_words(tmp_path):
    missing = tmp_path / "none.json"
    status, output = cli("apply", TELCO, "--input", SAMPLE, "--stats", missing)
    assert status == 1 and f"error: --stats {missing}: no such file" in output
    with pytest.raises(DataError, match=rf"^stats='{missing}': no such file$") as info:
        segdsl.load(TELCO, stats=missing)
    assert info.value.problem.code == "no-file" and info.value.problem.where == "stats"


def test_sql_options_in_both_words():
    status, output = cli("compile", TELCO, "--target", "sql", "--dialect", "oracle9")
    assert status == 2 and "error: --dialect oracle9: unknown; sqlglot knows" in output
    with pytest.raises(OptionError, match=r"^dialect='oracle9': unknown; sqlglot knows"):
        segdsl.load(TELCO).to_sql("oracle9")
    status, output = cli("compile", TELCO, "--target", "sql", "--table", "orders=x")
    assert status == 2 and "error: --table orders: the ruleset has no input `orders`" in output
    with pytest.raises(OptionError, match=r"^tables\['orders'\]: the ruleset has no input `orders`"):
        segdsl.load(TELCO).to_sql(tables={"orders": "x"})


def test_bad_rows_keep_their_one_wording(tmp_path):
    """A bad row is not a Problem: file, row and reason read the same from both sides."""
    data = tmp_path / "in.csv"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    first = lines[1].split(",")
    first[header.index("tenure")] = "-3"
    data.write_text("\n".join([lines[0], ",".join(first)]) + "\n", encoding="utf-8")
    status, output = cli("apply", TELCO, "--input", data)
    with pytest.raises(DataError) as info:
        segdsl.load(TELCO).apply(data)
    assert status == 1 and info.value.problem is None
    assert f"error: {info.value}" in output and str(info.value).startswith(f"{data} row 1 (line 2): ")
