"""`segdsl diff` through the real CLI: the structural diff, who moves on the Telco
sample (against a direct computation from the file), git revisions, the CI gate."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.cli import app

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
DATA = ROOT / "segdsl" / "samples" / "telco_customers.csv"

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def edited(tmp_path, *pairs, name="v2.seg", tests=True) -> Path:
    text = TELCO.read_text(encoding="utf-8")
    if not tests:                   # the file's tests name segments a change may rename or remove
        text = text[:text.index("# ---- tests")]
    for old, new in pairs:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PREMIUM = ('segment premium  "高价值"       when monthly_charges >= premium_charges',
           'segment premium  "高价值"       when monthly_charges >= 85')


def test_one_threshold_changed_moves_exactly_the_customers_between_the_thresholds(tmp_path):
    v2 = edited(tmp_path, PREMIUM)
    r = cli("diff", TELCO, v2, "--input", f"customer={DATA}", "--format", "json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["changes"] == [{"kind": "changed", "where": "value.premium", "what": "condition",
                               "old": "monthly_charges >= premium_charges", "new": "monthly_charges >= 85"}]
    # directly from the file: not `lifetime` (TotalCharges >= 5000), and 85 <= MonthlyCharges < 90
    rows = list(csv.DictReader(DATA.open(encoding="utf-8")))
    lifetime = lambda x: x["TotalCharges"].strip() and float(x["TotalCharges"]) >= 5000  # noqa: E731
    moving = [x["customerID"] for x in rows if not lifetime(x) and 85 <= float(x["MonthlyCharges"]) < 90]
    assert moving
    dims = {d["name"]: d for d in got["dimensions"]}
    value = dims["value"]
    assert value["moved"] == len(moving) and value["share"] == len(moving) / len(rows)
    moved_cells = [t for t in value["transitions"] if t["from"] != t["to"]]
    assert moved_cells == [{"from": "standard", "to": "premium", "customers": len(moving), "sample": moving[:5]}]
    assert sum(t["customers"] for t in value["transitions"]) == len(rows) == got["customers"]
    assert {n: d["moved"] for n, d in dims.items() if n != "value"} == {
        "churn_risk": 0, "lifecycle": 0, "bundle": 0, "strategy": 0}    # save_vip takes standard and premium alike


def test_moves_equal_the_two_apply_outputs(tmp_path):
    v2 = edited(tmp_path, ('segment fiber      "光纤用户"   when internet = fiber',
                           'segment fiber      "光纤用户"   when internet = fiber and tenure_months > 3'))
    outputs = []
    for rules in (TELCO, v2):
        out = tmp_path / f"{rules.stem}.jsonl"
        assert cli("apply", rules, "--input", f"customer={DATA}", "-o", out).exit_code == 0
        outputs.append({row["customer_id"]: row for row in map(json.loads, out.read_text().splitlines())})
    old, new = outputs
    r = cli("diff", TELCO, v2, "--input", f"customer={DATA}", "--format", "json")
    assert r.exit_code == 0, r.output
    for d in json.loads(r.stdout)["dimensions"]:
        moved = [k for k in old if set(old[k][d["name"]] or []) != set(new[k][d["name"]] or [])] \
            if d["policy"] == "all" else [k for k in old if old[k][d["name"]] != new[k][d["name"]]]
        assert d["moved"] == len(moved), d["name"]
        for t in d["transitions"]:
            if t["from"] != t["to"]:
                assert set(t["sample"]) <= set(moved)
    bundle = next(d for d in json.loads(r.stdout)["dimensions"] if d["name"] == "bundle")
    assert bundle["moved"] > 0


def test_the_structural_diff_names_each_kind_of_change(tmp_path):
    v2 = edited(tmp_path,
                ('param bill_shock: number = 120% "月费高于历史月均的倍数"',
                 'param bill_shock: number = 150% "月费高于历史月均的倍数"'),
                ('segment onboarding "新入网"', 'segment newcomer "新入网"'),
                ('segment basic    "基础价值"', 'segment basic    "基础"'),
                ('{ action: "常规关怀", channel: "app_push", priority: 4 }',
                 '{ action: "常规关怀", channel: "sms", priority: 4 }'),
                ('  segment senior     "老年用户"   when senior_citizen\n', ''),
                ('let addons "增值服务数" =', 'let big_bill "大额账单" = monthly_charges > 100\n\nlet addons "增值服务数" ='),
                tests=False)
    r = cli("diff", TELCO, v2, "--format", "json")
    assert r.exit_code == 0, r.output
    changes = {(c["kind"], c["where"], c["what"]): (c["old"], c["new"]) for c in json.loads(r.stdout)["changes"]}
    assert changes[("changed", "param bill_shock", "default")] == ("1.2", "1.5")
    assert changes[("renamed", "lifecycle.onboarding", "segment")] == ("onboarding", "newcomer")
    assert changes[("changed", "value.basic", "label")] == ("基础价值", "基础")
    assert ("changed", "churn_risk.low", "attributes") in changes
    assert changes[("removed", "bundle.senior", "segment")] == ("senior_citizen", None)
    assert ("added", "let big_bill", "let") in changes
    assert len(changes) == 6    # and nothing else


def test_without_changes_nothing_is_reported(tmp_path):
    same = tmp_path / "same.seg"
    same.write_text(TELCO.read_text(encoding="utf-8").replace("\n\n", "\n\n\n"), encoding="utf-8")
    r = cli("diff", TELCO, same, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["changes"] == []


def test_fail_if_moved_is_a_ci_gate(tmp_path):
    v2 = edited(tmp_path, PREMIUM)
    over = cli("diff", TELCO, v2, "--input", f"customer={DATA}", "--fail-if-moved", "1")
    assert over.exit_code == 1 and "more than --fail-if-moved 1%" in over.stderr
    under = cli("diff", TELCO, v2, "--input", f"customer={DATA}", "--fail-if-moved", "50")
    assert under.exit_code == 0, under.output
    alone = cli("diff", TELCO, v2, "--fail-if-moved", "5")
    assert alone.exit_code == 2 and "--fail-if-moved: give the data with --input" in alone.stderr


def test_a_param_given_to_both_versions(tmp_path):
    v2 = edited(tmp_path, PREMIUM)
    r = cli("diff", TELCO, v2, "--input", f"customer={DATA}", "--param", "premium_charges=85", "--format", "json")
    assert r.exit_code == 0, r.output
    value = next(d for d in json.loads(r.stdout)["dimensions"] if d["name"] == "value")
    assert value["moved"] == 0
    r = cli("diff", TELCO, v2, "--input", f"customer={DATA}", "--param", "premium=85")
    assert r.exit_code == 2 and "--param premium: the ruleset has no param `premium`" in r.stderr


def test_html_is_a_page_with_a_transition_heat_map(tmp_path):
    v2 = edited(tmp_path, PREMIUM)
    r = cli("diff", TELCO, v2, "--input", f"customer={DATA}", "--format", "html")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("<!DOCTYPE html>") and r.stdout.count("Plotly.newPlot") == 5
    assert "价值分层" in r.stdout


def git_repository(folder: Path, monkeypatch):
    """A git repository in `folder`, the current folder; its `git` command."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.chdir(folder)
    git = lambda *a: subprocess.run(["git", *a], check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    return git


@pytest.fixture
def repo(tmp_path, monkeypatch):
    git = git_repository(tmp_path, monkeypatch)
    shutil.copy(TELCO, tmp_path / "rules.seg")
    git("add", "rules.seg")
    git("commit", "-qm", "rules")
    edited(tmp_path, PREMIUM, name="rules.seg")
    return tmp_path


def test_old_may_be_a_git_revision(repo):
    r = cli("diff", "HEAD:rules.seg", "rules.seg", "--input", f"customer={DATA}", "--format", "json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["old"] == "HEAD:rules.seg"
    assert [c["where"] for c in got["changes"]] == ["value.premium"]


@pytest.mark.parametrize("spec, words", [
    ("nope:rules.seg", "OLD nope:rules.seg: git cannot show it"),
    ("HEAD:missing.seg", "OLD HEAD:missing.seg: git cannot show it"),
])
def test_a_revision_git_cannot_show_is_worded(repo, spec, words):
    r = cli("diff", spec, "rules.seg")
    assert r.exit_code == 2, r.output
    assert words in r.stderr and "Traceback" not in r.output


def test_a_revision_is_read_with_its_imports_as_they_were(tmp_path, monkeypatch):
    """The old version's imported params come from the same revision, not from today's files."""
    git = git_repository(tmp_path, monkeypatch)
    lines = TELCO.read_text(encoding="utf-8").splitlines(keepends=True)
    params = [line for line in lines if line.startswith("param ")]
    main = "".join(line if line is not params[0] else 'import "common/thresholds.seg"\n'
                   for line in lines if line is params[0] or line not in params)
    (tmp_path / "rules" / "common").mkdir(parents=True)
    (tmp_path / "rules" / "telco.seg").write_text(main, encoding="utf-8")
    (tmp_path / "rules" / "common" / "thresholds.seg").write_text("".join(params), encoding="utf-8")
    git("add", "rules")
    git("commit", "-qm", "rules")
    thresholds = tmp_path / "rules" / "common" / "thresholds.seg"
    thresholds.write_text(thresholds.read_text(encoding="utf-8").replace("number = 90", "number = 85"),
                          encoding="utf-8")
    r = cli("diff", "HEAD:rules/telco.seg", "rules/telco.seg", "--input", f"customer={DATA}", "--format", "json")
    assert r.exit_code == 0, r.output
    value = next(d for d in json.loads(r.stdout)["dimensions"] if d["name"] == "value")
    assert value["moved"] > 0
    r = cli("diff", "./rules/telco.seg", "rules/telco.seg", "--input", f"customer={DATA}", "--format", "json")
    assert r.exit_code == 0, r.output       # a file, not a revision: nothing moves
    assert all(d["moved"] == 0 for d in json.loads(r.stdout)["dimensions"])
