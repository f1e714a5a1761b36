"""Colliding paths: a command that would write over a file it reads, or write two of its
files to one path, is refused (exit 2 on the command line, OptionError in the API) before
anything is read, and every file is left exactly as it was.

Paths are compared resolved: symlinks and `..` followed, and every file an input pattern
matches (a target that a pattern would match on the next run is refused too)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl import api
from segdsl.cli import app
from segdsl.engines import registry

runner = CliRunner()

RULES = """ruleset r version "1"
param limit: int = 5
input customer key id {
  id: string
  v:  int?
}
dimension d first {
  segment hi when v >= limit
  otherwise lo
}
"""
DATA = "id,v\na,1\nb,9\nc,x\n"


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A folder with the rules, an input, a pattern folder of inputs and a stats file; the
    tests run inside it (relative paths are part of what is compared)."""
    (tmp_path / "r.seg").write_text(RULES, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "parts" / "b.csv").write_text(DATA.replace("a,", "e,"), encoding="utf-8")
    (tmp_path / "out.rejected.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "d.csv", tmp_path / "link.csv")
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["stats", "r.seg", "-i", "d.csv", "--on-error", "skip", "-o", "st.json"])
    assert r.exit_code == 0, r.output
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(root.rglob("*"))}


# (command line, the flag the message names)
APPLY_COLLISIONS = {
    "output is the input": (["-i", "d.csv", "-o", "d.csv"], "--output"),
    "output is the input through a symlink": (["-i", "d.csv", "-o", "link.csv"], "--output"),
    "output is the input through ..": (["-i", "d.csv", "-o", "sub/../d.csv"], "--output"),
    "input is a symlink to the output": (["-i", "link.csv", "-o", "d.csv"], "--output"),
    "output is a file the input pattern matches": (["-i", "parts/*.csv", "-o", "parts/b.csv"], "--output"),
    "output would match the input pattern next time": (["-i", "parts/*.csv", "-o", "parts/new.csv"], "--output"),
    "output under a ** pattern": (["-i", "**/*.csv", "-o", "sub/new.csv"], "--output"),
    "quarantine is the output": (["-i", "d.csv", "-o", "o.csv", "--on-error", "quarantine",
                                  "--quarantine", "o.csv"], "--quarantine"),
    "quarantine is the input": (["-i", "d.csv", "-o", "o.csv", "--on-error", "quarantine",
                                 "--quarantine", "d.csv"], "--quarantine"),
    "default quarantine is the input": (["-i", "out.rejected.csv", "-o", "out.csv", "--on-error", "quarantine"],
                                        "--quarantine"),
    "summary is the output": (["-i", "d.csv", "-o", "o.jsonl", "--summary-json", "o.jsonl"], "--summary-json"),
    "summary is the input": (["-i", "d.csv", "--summary-json", "d.csv"], "--summary-json"),
    "summary is the quarantine file": (["-i", "d.csv", "--on-error", "quarantine", "--quarantine", "q.json",
                                        "--summary-json", "q.json"], "--summary-json"),
    "summary is the rule file": (["-i", "d.csv", "--summary-json", "r.seg"], "--summary-json"),
    "summary is the stats file": (["-i", "d.csv", "--stats", "st.json", "--summary-json", "st.json"],
                                  "--summary-json"),
    "output is the stats file": (["-i", "d.csv", "--stats", "st.json", "-o", "st.json"], "--output"),
}

OTHER_COLLISIONS = {
    "stats output is the input": (["stats", "r.seg", "-i", "d.csv", "-o", "d.csv"], "--output"),
    "stats output is the rule file": (["stats", "r.seg", "-i", "d.csv", "-o", "r.seg"], "--output"),
    "stats output in the input pattern": (["stats", "r.seg", "-i", "parts/*.csv", "-o", "parts/s.csv"], "--output"),
    "compiled file is the rule file": (["compile", "r.seg", "-o", "r.seg"], "--output"),
    "compiled file is the rule file through ..": (["compile", "r.seg", "--target", "sql", "-o", "sub/../r.seg"],
                                                   "--output"),
}


def _refused(place, args, flag):
    before = snapshot(place)
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert f"error: {flag} " in r.output, r.output
    assert snapshot(place) == before          # nothing read into, nothing written, nothing left behind


@pytest.mark.parametrize("engine", registry.available())
@pytest.mark.parametrize("case", list(APPLY_COLLISIONS))
def test_apply_refuses_colliding_paths(place, case, engine):
    args, flag = APPLY_COLLISIONS[case]
    _refused(place, ["apply", "r.seg", "--engine", engine, *args], flag)


@pytest.mark.parametrize("case", list(OTHER_COLLISIONS))
def test_stats_and_compile_refuse_colliding_paths(place, case):
    args, flag = OTHER_COLLISIONS[case]
    _refused(place, args, flag)


def test_distinct_paths_still_run(place):
    r = runner.invoke(app, ["apply", "r.seg", "-i", "parts/*.csv", "-o", "o.csv", "--on-error", "quarantine",
                            "--quarantine", "sub/q.csv", "--summary-json", "s.json"])
    assert r.exit_code == 0, r.output
    assert (place / "o.csv").exists() and (place / "sub/q.csv").exists() and (place / "s.json").exists()


API_COLLISIONS = {
    "output is the input": (dict(output="d.csv"), "output="),
    "output is the input through a symlink": (dict(output="link.csv"), "output="),
    "output is the input through ..": (dict(output="sub/../d.csv"), "output="),
    "quarantine is the output": (dict(output="o.csv", on_error="quarantine", quarantine="o.csv"), "quarantine="),
    "quarantine is the input": (dict(on_error="quarantine", quarantine="d.csv"), "quarantine="),
}


@pytest.mark.parametrize("engine", registry.available())
@pytest.mark.parametrize("case", list(API_COLLISIONS))
def test_api_refuses_colliding_paths(place, case, engine):
    kwargs, word = API_COLLISIONS[case]
    seg = api.load("r.seg")
    before = snapshot(place)
    with pytest.raises(api.OptionError) as caught:
        seg.apply("d.csv", engine, **kwargs)
    assert str(caught.value).startswith(word) and caught.value.problem.code == "same-file"
    assert snapshot(place) == before


def test_api_pattern_input_and_output_inside_it(place):
    seg = api.load("r.seg")
    with pytest.raises(api.OptionError, match="matches the pattern"):
        seg.apply("parts/*.csv", "python", output="parts/new.csv", on_error="skip")
