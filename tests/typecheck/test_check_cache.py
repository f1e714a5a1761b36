"""The on-disk cache of checked rule files: an unchanged file is not checked again, a change
anywhere (the file, an import) is checked afresh, and nothing odd in the cache is an error."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from segdsl.check import frontend
from segdsl.check.frontend import check_file
from tests.helpers import ROOT, TINY_RULES, cli_probe

MAIN = """ruleset r version "1"
import "common/fields.seg"
input customer key id {
  id: string
  v:  int?
}
dimension d first {
  segment hi when v >= limit
}
let unused = 1
"""
COMMON = "let limit = 5\n"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SEGDSL_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def rules(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "fields.seg").write_text(COMMON, encoding="utf-8")
    path = tmp_path / "rules.seg"
    path.write_text(MAIN, encoding="utf-8")
    return path


def _no_checking(monkeypatch):
    def refuse(*args):
        raise AssertionError("checked again: the cache was not used")
    monkeypatch.setattr(frontend, "_check_file", refuse)


def test_an_unchanged_file_comes_from_the_cache(cache, rules, monkeypatch):
    first = check_file(rules, cached=True)
    assert first.ok and [d.code for d in first.diagnostics] == ["SEG403"]     # a warning is kept
    _no_checking(monkeypatch)
    again = check_file(rules, cached=True)
    assert again.ruleset == first.ruleset
    assert again.diagnostics == first.diagnostics
    assert again.texts == first.texts


def test_without_cached_nothing_is_read_or_written(cache, rules):
    check_file(rules)
    assert not cache.exists()


def test_an_edited_file_is_checked_again(cache, rules):
    check_file(rules, cached=True)
    rules.write_text(MAIN.replace("v >= limit", "v >= limit + 1"), encoding="utf-8")
    again = check_file(rules, cached=True)
    assert "limit + 1" in again.texts[str(rules)]
    assert again == check_file(rules)


def test_an_edited_import_is_checked_again(cache, rules):
    first = check_file(rules, cached=True)
    (rules.parent / "common" / "fields.seg").write_text("let limit = 7\n", encoding="utf-8")
    again = check_file(rules, cached=True)
    assert again != first
    assert again == check_file(rules)
    assert "let limit = 7" in again.texts[str(rules.parent / "common" / "fields.seg")]


def test_an_import_gone_is_its_error_again(cache, rules):
    check_file(rules, cached=True)
    (rules.parent / "common" / "fields.seg").unlink()
    again = check_file(rules, cached=True)
    assert not again.ok and "SEG108" in [d.code for d in again.diagnostics]


def test_a_result_with_errors_is_not_kept(cache, tmp_path, monkeypatch):
    path = tmp_path / "bad.seg"
    path.write_text(TINY_RULES.replace("v >= 5", "w >= 5"), encoding="utf-8")
    assert not check_file(path, cached=True).ok
    assert not list(cache.glob("checked-*"))


def test_a_damaged_entry_is_checked_again(cache, rules):
    first = check_file(rules, cached=True)
    (entry,) = cache.glob("checked-*")
    entry.write_bytes(entry.read_bytes()[:100])
    assert check_file(rules, cached=True) == first


def test_the_options_are_part_of_the_key(cache, rules):
    check_file(rules, cached=True)
    check_file(rules, cached=True, allow_imports_outside=True)
    assert len(list(cache.glob("checked-*"))) == 2


def test_a_cache_folder_that_cannot_be_written_costs_only_time(tmp_path, rules, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    monkeypatch.setenv("SEGDSL_CACHE_DIR", str(blocked / "cache"))
    assert check_file(rules, cached=True).ok
    assert check_file(rules, cached=True).ok


def test_the_command_line_checks_an_unchanged_file_once(tmp_path, rules):
    """Two `segdsl check` runs: the same output; the second never imports the parser."""
    env = {**os.environ, "SEGDSL_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    # the command ends the process itself (cli._leave), running the atexit functions first
    probe = cli_probe("'parser imported:', 'lark' in sys.modules")
    runs = [subprocess.run([sys.executable, "-c", probe, "check", str(rules)], env=env, capture_output=True, text=True,
                           cwd=tmp_path) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0]
    assert runs[0].stderr == runs[1].stderr and "SEG403" in runs[0].stderr
    assert runs[0].stdout.strip() == "parser imported: True"
    assert runs[1].stdout.strip() == "parser imported: False"


# ---- the solver's findings, kept beside the check ----

ANALYSED = """ruleset r version "1"
input customer key id {
  id: string
  v:  int? in 0..10
}
dimension d first {
  segment hi when v >= 5
  segment never when v > 20
  segment lo when v >= 0
}
"""


@pytest.fixture
def analysed_rules(tmp_path):
    path = tmp_path / "analysed.seg"
    path.write_text(ANALYSED, encoding="utf-8")
    return path


def _counting(monkeypatch) -> list:
    from segdsl.service import witnesses
    calls = []
    real = witnesses.analysed

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(witnesses, "analysed", counted)
    return calls


def test_an_unchanged_file_is_not_analysed_twice(cache, analysed_rules, monkeypatch):
    from segdsl.service import app
    calls = _counting(monkeypatch)
    first = app.check(analysed_rules, analyse=True, cached=True)
    assert "SEG406" in [d.code for d in first.diagnostics] and len(calls) == 1
    again = app.check(analysed_rules, analyse=True, cached=True)
    assert len(calls) == 1                                  # from the cache
    assert again.diagnostics == first.diagnostics and again.ruleset == first.ruleset
    assert "SEG406" not in [d.code for d in app.check(analysed_rules, cached=True).diagnostics]  # none asked
    app.check(analysed_rules, analyse=True, cached=True, budgets=(2.0, None))
    assert len(calls) == 2                                  # other budgets: analysed again
    analysed_rules.write_text(ANALYSED.replace("v > 20", "v > 30"), encoding="utf-8")
    assert "SEG406" in [d.code for d in app.check(analysed_rules, analyse=True, cached=True).diagnostics]
    assert len(calls) == 3                                  # an edited file: analysed again


def test_the_findings_entry_does_not_hold_the_ir_again(cache, analysed_rules):
    """The IR is read from the check's own entry; the findings' entry holds the diagnostics and
    texts alone (a large ruleset pickled and read twice cost most of a warm `check`)."""
    import pickle

    from segdsl.service import app
    first = app.check(analysed_rules, analyse=True, cached=True)
    entries = [pickle.loads(p.read_bytes()) for p in sorted(cache.glob("checked-*.pickle"))]
    assert len(entries) == 2
    assert sorted(e.ruleset is None for e in entries) == [False, True]
    findings = next(e for e in entries if e.ruleset is None)
    assert findings.diagnostics == first.diagnostics and "SEG406" in [d.code for d in findings.diagnostics]


def test_a_result_the_budget_cut_short_is_not_kept(cache, analysed_rules, monkeypatch):
    from segdsl.service import app
    calls = _counting(monkeypatch)
    for n in (1, 2):
        cut = app.check(analysed_rules, analyse=True, cached=True, budgets=(5.0, 0.0))
        assert "SEG406" not in [d.code for d in cut.diagnostics] and len(calls) == n   # analysed each time
