"""The solver analysis of dimensions: where each finding must fire (code, line, witness) and where
it must not, the R×F map, the shipped rule files, and that `apply`'s path never loads z3."""
from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.service.app import check
from tests.helpers import ROOT, RULE_FILES

HEAD = """ruleset t
input customer key id {
  id: string
  age: int? in 0..120
  n: int in 1..5
  tier: enum { gold "金", silver "银", bronze "铜" }
  opt: enum { a, b }?
  x: number?
}
"""


def findings(tmp_path, body: str) -> list[tuple[str, int, str]]:
    p = tmp_path / "rules.seg"
    p.write_text(HEAD + body, encoding="utf-8")
    r = check(p, analyse=True)
    assert not [d for d in r.diagnostics if d.is_error and d.code != "SEG307"], r.diagnostics
    return [(d.code, d.span.line - HEAD.count("\n"), d.message) for d in r.diagnostics]


FIRES = {
    "SEG307": ("dimension d unique {\n segment young when age < 40\n segment mid when age between 30 and 60\n"
               " otherwise o\n}\n", 3, "both match a customer with age = "),
    "SEG401": ("dimension d first {\n segment g when tier = gold\n segment s when tier = silver\n}\n", 1,
               "a customer with tier = bronze matches no segment"),
    "SEG402": ("dimension d first {\n segment old when age >= 60\n segment young when age < 60\n}\n", 1,
               "a customer with age missing matches no segment"),
    "SEG404": ("dimension d first {\n segment low when n <= 3 and tier = gold\n"
               " segment high when n >= 3 and tier != gold\n"
               " segment three when n = 3\n otherwise o\n}\n", 4, "taken by `low` or `high` above it"),
    "SEG406": ("dimension d first {\n segment ancient when age > 150\n otherwise o\n}\n", 2,
               "given `age` is declared `in 0..120`"),
    "SEG407": ("dimension d first {\n segment s when n <= 5 and tier = gold\n otherwise o\n}\n", 2,
               "`n <= 5` in segment `s` is always true (where its values are present), given `n` is declared"),
    "SEG408": ("dimension d all {\n segment a when tier in [gold, silver]\n segment b when tier != bronze\n}\n", 3,
               "segment `b` matches exactly the customers `a` matches"),
    "SEG409": ('dimension d first {\n segment a "同" when n = 1\n segment b "同" when n = 2\n otherwise o\n}\n', 3,
               'the same label "同"'),
    "SEG410": ("dimension d first {\n segment a when opt != null\n otherwise o\n}\n", 2,
               "a comparison with `null` is never true"),
}

SILENT = {
    "SEG307": "dimension d unique {\n segment young when age < 40\n segment mid when age between 40 and 60\n"
              " otherwise o\n}\n",
    "SEG401": "dimension d first {\n segment g when tier = gold\n segment s when tier in [silver, bronze]\n}\n",
    "SEG402": "dimension d first {\n segment old when age >= 60\n segment young when age < 60\n"
              " segment unknown when age is null\n}\n",
    "SEG404": "dimension d first {\n segment low when n <= 2\n segment high when n >= 4\n"
              " segment three when n = 3\n}\n",
    "SEG406": "dimension d first {\n segment old when age > 119\n otherwise o\n}\n",
    "SEG407": "dimension d first {\n segment s when n <= 4 and tier = gold and age >= 1\n otherwise o\n}\n",
    "SEG408": "dimension d all {\n segment a when tier in [gold, silver]\n segment b when tier != gold\n}\n",
    "SEG409": 'dimension d first {\n segment a "甲" when n = 1\n segment b "乙" when n = 2\n otherwise o "丙"\n}\n',
    "SEG410": "dimension d first {\n segment a when opt is not null\n otherwise o\n}\n",
}


@pytest.mark.parametrize("code", sorted(FIRES))
def test_fires_with_its_line_and_witness(tmp_path, code):
    body, line, words = FIRES[code]
    got = findings(tmp_path, body)
    hits = [(c, ln, m) for c, ln, m in got if c == code]
    assert hits, got
    assert hits[0][1] == line and words in hits[0][2], hits


@pytest.mark.parametrize("code", sorted(SILENT))
def test_silent_where_it_must_be(tmp_path, code):
    got = findings(tmp_path, SILENT[code])
    assert [c for c, _, _ in got if c == code] == [], got


def test_nullable_enum_every_member_listed_still_misses_the_null_customer(tmp_path):
    got = findings(tmp_path, "dimension d first {\n segment a when opt = a\n segment b when opt = b\n}\n")
    assert [c for c, _, _ in got] == ["SEG402"] and "a customer with opt missing matches no segment" in got[0][2]


RF = """ruleset rf
input customer key id {
  id: string
  r: int in 1..5
  f: int in 1..5
}
dimension rfm first {
  segment champions      when r = 5 and f >= 4
  segment loyal          when r between 3 and 4 and f >= 4
  segment cant_lose      when r <= 2 and f = 5
  segment at_risk        when r <= 2 and f between 3 and 4
  segment potential      when r >= 4 and f between 2 and 3
  segment new            when r = 5 and f = 1
  segment promising      when r = 4 and f = 1
  segment need_attention when r = 3 and f = 3
  segment about_to_sleep when r = 3 and f <= 2
  segment hibernating    when r <= 2 and f <= 2
}
"""


def test_the_complete_5x5_map_is_silent(tmp_path):
    p = tmp_path / "rf.seg"
    p.write_text(RF, encoding="utf-8")
    assert check(p, analyse=True).diagnostics == []


def test_the_map_with_one_cell_removed_names_that_cell(tmp_path):
    p = tmp_path / "rf.seg"
    p.write_text(RF.replace("  segment promising      when r = 4 and f = 1\n", ""), encoding="utf-8")
    [d] = check(p, analyse=True).diagnostics
    assert d.code == "SEG401" and "a customer with r = 4, f = 1 matches no segment" in d.message


def test_the_map_over_ntile_values_is_silent_too(tmp_path):
    text = RF.replace("  r: int in 1..5\n  f: int in 1..5\n", "  recency: int\n  frequency: int\n") \
        .replace("dimension rfm", "let r = ntile(recency, 5, desc)\nlet f = ntile(frequency, 5)\ndimension rfm")
    p = tmp_path / "rf.seg"
    p.write_text(text, encoding="utf-8")
    assert check(p, analyse=True).diagnostics == []
    p.write_text(text.replace("  segment promising      when r = 4 and f = 1\n", ""), encoding="utf-8")
    [d] = check(p, analyse=True).diagnostics
    assert d.code == "SEG401" and "r = 4, f = 1" in d.message


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_rule_file_passes_check_strict_with_no_finding(path):
    result = CliRunner().invoke(app, ["check", "--strict", "--format", "json", str(path)])
    assert result.exit_code == 0 and result.stdout.strip() == "[]", result.output


def test_apply_and_compile_never_import_the_solver():
    code = ("import sys\nfrom segdsl.service.app import check, compile_python\n"
            "r = check('rulesets/telecom.seg')\ncompile_python(r.ruleset)\n"
            "assert 'z3' not in sys.modules, 'z3 imported'\n"
            "check('rulesets/telecom.seg', analyse=True)\nassert 'z3' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
