"""Long and deep expressions: up to the language's limits every stage and engine runs them;
beyond, SEG009 at the expression, never a RecursionError from whichever stage met it first.

Chains the IR keeps flat (`or`, `and`, runs of `not`) have no limit; nesting is at most
syntax/depth.MAX_DEPTH levels and chains of definitions at most check/ordering.MAX_CHAIN."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from segdsl.check.frontend import check_file
from segdsl.check.ordering import MAX_CHAIN
from segdsl.cli import app
from segdsl.engines import registry
from segdsl.syntax.depth import MAX_DEPTH

runner = CliRunner()
HEAD = "ruleset r\ninput customer key id {\n  id: string\n  v: int?\n}\n"
DATA = "id,v\na,1\nb,5\nc,\nd,-7\n"


def _when(cond: str) -> str:
    return HEAD + f"dimension d first {{\n  segment a when {cond}\n  otherwise b\n}}\n"


def _nested(levels: int) -> str:
    """Arithmetic and calls mixed, `levels` deep in all (the comparison and `v` are two)."""
    x = "v"
    for i in range(levels - 2):
        x = (f"abs({x})", f"({x} - v)", f"coalesce({x}, 0)")[i % 3]
    return f"{x} > 3"


def _chain(n: int) -> str:
    """n definitions, each reading the one before, declared bottom-up."""
    lets = "".join(f"let l{i} = l{i - 1} + 1\n" if i else "let l0 = v\n" for i in reversed(range(n - 1)))
    return HEAD + f"dimension d first {{\n  segment a when l{n - 2} > 3\n  otherwise b\n}}\n" + lets


AT_THE_LIMITS = {
    "or-5000": _when(" or ".join(f"v = {i}" for i in range(5000))),
    "and-3000": _when(" and ".join(f"v != {i}" for i in range(3000))),
    "not-5001": _when("not " * 5001 + "v > 3"),
    f"sum-{MAX_DEPTH - 1}": _when(" + ".join(["v"] * (MAX_DEPTH - 1)) + " > 3"),
    f"nested-{MAX_DEPTH}": _when(_nested(MAX_DEPTH)),
    "parentheses-300": _when("(" * 300 + "v > 3" + ")" * 300),
}


@pytest.mark.parametrize("name", AT_THE_LIMITS)
def test_long_chains_and_nesting_up_to_the_limit_check_clean(name):
    result = check_file("r.seg", text=AT_THE_LIMITS[name])
    assert result.ok, [str(d.message) for d in result.diagnostics]


@pytest.mark.full
@pytest.mark.parametrize("engine", registry.available())
@pytest.mark.parametrize("name", [*AT_THE_LIMITS, "chain"])
def test_every_engine_runs_them_alike(tmp_path, name, engine):
    text = _chain(MAX_CHAIN) if name == "chain" else AT_THE_LIMITS[name]
    (tmp_path / "r.seg").write_text(text, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    out = {}
    for e in ("python", engine):
        r = runner.invoke(app, ["apply", str(tmp_path / "r.seg"), "-i", f"customer={tmp_path / 'd.csv'}",
                                "-o", str(tmp_path / f"{e}.csv"), "--engine", e])
        assert r.exit_code == 0, r.output
        out[e] = (tmp_path / f"{e}.csv").read_text(encoding="utf-8")
    assert out[engine] == out["python"]


@pytest.mark.parametrize("name", [*AT_THE_LIMITS, "chain"])
def test_compiled_code_of_them_compiles(tmp_path, name):
    text = _chain(MAX_CHAIN) if name == "chain" else AT_THE_LIMITS[name]
    (tmp_path / "r.seg").write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["compile", str(tmp_path / "r.seg"), "--target", "python"])
    assert r.exit_code == 0, r.output
    compile(r.stdout, "generated.py", "exec")
    for dialect in ("duckdb", "postgres", "spark", "bigquery"):
        r = runner.invoke(app, ["compile", str(tmp_path / "r.seg"), "--target", "sql", "--dialect", dialect])
        assert r.exit_code == 0 and "SELECT" in r.stdout, r.output


BEYOND = {
    "sum-150": (_when(" + ".join(["v"] * 150) + " > 3"), f"nests 151 levels deep; at most {MAX_DEPTH}"),
    "nested-over": (_when(_nested(MAX_DEPTH + 1)), f"nests {MAX_DEPTH + 1} levels deep"),
    "nested-3000": (_when("(" * 3000 + "-" * 3000 + "v > 3" + ")" * 3000), f"levels deep; at most {MAX_DEPTH}"),
    "chain": (_chain(MAX_CHAIN + 1), f"ends a chain of {MAX_CHAIN + 1} definitions"),
}


@pytest.mark.parametrize("command", ["check", "apply", "compile"])
@pytest.mark.parametrize("name", BEYOND)
def test_beyond_the_limits_is_seg009_at_the_expression(tmp_path, name, command):
    text, words = BEYOND[name]
    (tmp_path / "r.seg").write_text(text, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    args = {"check": [], "apply": ["-i", f"customer={tmp_path / 'd.csv'}", "-o", str(tmp_path / "o.csv")],
            "compile": ["--target", "sql"]}[command]
    r = runner.invoke(app, [command, str(tmp_path / "r.seg"), *args])
    assert r.exit_code == 1, r.output
    assert "error[SEG009]" in r.output and words in r.output
    assert "Traceback" not in r.output and "RecursionError" not in r.output
    assert not (tmp_path / "o.csv").exists()
