"""`segdsl stats` and `apply --stats`: frozen population values."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.cli import app

ROOT = Path(__file__).resolve().parents[2]
RFM = ROOT / "rulesets" / "ecommerce_rfm.seg"
ORDERS = ROOT / "segdsl" / "samples" / "online_retail_orders.csv"
runner = CliRunner()


def invoke(*args):
    r = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in r.output
    return r


@pytest.mark.parametrize("engine", ["duckdb", "python", "spark"])
def test_a_subset_with_frozen_stats_matches_the_full_run(tmp_path, engine):
    stats = tmp_path / "rfm.stats.json"
    r = invoke("stats", RFM, "--input", f"orders={ORDERS}", "-o", stats)
    assert r.exit_code == 0, r.output
    content = json.loads(stats.read_text(encoding="utf-8"))
    assert content["customers"] == 301 and content["inputs"]["orders"]["rows"] == 16330
    full = tmp_path / "full.csv"
    assert invoke("apply", RFM, "--input", f"orders={ORDERS}", "-o", full, "--engine", engine).exit_code == 0
    lines = ORDERS.read_text(encoding="utf-8").splitlines()
    wanted = {"17850", "13705", "12662"}
    subset = tmp_path / "subset.csv"
    subset.write_text("\n".join([lines[0]] + [x for x in lines[1:] if x.split(",")[-2] in wanted]) + "\n",
                      encoding="utf-8")
    part = tmp_path / "part.csv"
    r = invoke("apply", RFM, "--input", f"orders={subset}", "--stats", stats, "-o", part, "--engine", engine)
    assert r.exit_code == 0, r.output
    full_rows = {x.split(",")[0]: x for x in full.read_text().splitlines()[1:]}
    part_rows = part.read_text().splitlines()[1:]
    assert len(part_rows) == 3
    for row in part_rows:
        assert row == full_rows[row.split(",")[0]]


def test_stats_of_another_rules_version_are_refused(tmp_path):
    stats = tmp_path / "s.json"
    assert invoke("stats", RFM, "--input", f"orders={ORDERS}", "-o", stats).exit_code == 0
    changed = tmp_path / "rfm2.seg"
    changed.write_text(RFM.read_text(encoding="utf-8").replace("ntile(frequency, 5)", "ntile(frequency, 4)"),
                       encoding="utf-8")
    r = invoke("apply", changed, "--input", f"orders={ORDERS}", "--stats", stats, "-o", tmp_path / "o.csv")
    assert r.exit_code == 1 and "the `ntile` at " in r.output and "the statistic itself changed" in r.output
    assert not (tmp_path / "o.csv").exists()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    r = invoke("apply", RFM, "--input", f"orders={ORDERS}", "--stats", bad)
    assert r.exit_code == 1 and "not a stats file" in r.output


def test_bad_rows_follow_the_policy(tmp_path):
    """`--on-error fail` stops at a bad row, as `apply` does; `skip` counts it in the file."""
    orders = tmp_path / "orders.csv"
    lines = ORDERS.read_text(encoding="utf-8").splitlines()[:51]
    orders.write_text("\n".join([*lines, "X1,C1,thing,abc,2010-12-01 08:26:00,1.0,17850,France"]) + "\n",
                      encoding="utf-8")
    stats = tmp_path / "rfm.stats.json"
    r = invoke("stats", RFM, "--input", f"orders={orders}", "-o", stats)
    assert r.exit_code == 1 and f"{orders} row 51 (line 52): " in r.output and not stats.exists()
    r = invoke("stats", RFM, "--input", f"orders={orders}", "-o", stats, "--on-error", "skip")
    assert r.exit_code == 0, r.output
    assert json.loads(stats.read_text(encoding="utf-8"))["rejected"] == {"orders": 1}
    r = invoke("stats", RFM, "--input", f"orders={orders}", "-o", stats, "--on-error", "quarantine")
    assert r.exit_code == 2 and "--on-error quarantine: choose fail or skip" in r.output


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    path = tmp_path_factory.mktemp("frozen") / "rfm.stats.json"
    assert invoke("stats", RFM, "--input", f"orders={ORDERS}", "-o", path).exit_code == 0
    return path


def _apply_edited(tmp_path, frozen, old, new, *extra):
    text = RFM.read_text(encoding="utf-8")
    assert old in text
    edited = tmp_path / "edited.seg"
    edited.write_text(text.replace(old, new, 1), encoding="utf-8")
    out = tmp_path / "o.csv"
    return invoke("apply", edited, "--input", f"orders={ORDERS}", "--stats", frozen, "-o", out, *extra), out


@pytest.mark.parametrize("old, new, extra", [
    ("# the classic 5x5 R x F map", "# the classic 5x5 R x F map, reviewed", ()),
    ('"冠军客户" when r = 5', '"核心冠军" when r = 5', ()),
    ('let uk_lines "英国订单行数"', 'let uk_lines "英国订单数"', ()),
    ("param wholesale_qty: int = 100", "param wholesale_qty: int = 50", ()),
    ("# the classic 5x5 R x F map", "dimension extra first {\n  segment many when frequency > 3\n"
                                    "  otherwise few\n}\n# the classic 5x5 R x F map", ()),
    ("# the classic 5x5 R x F map", "# the classic 5x5 R x F map", ("--param", "churn_days=90")),
], ids=["comment", "label", "let-label", "unread-param", "new-dimension", "unread-param-value"])
def test_edits_the_statistics_do_not_depend_on_keep_the_frozen_values(tmp_path, frozen, old, new, extra):
    r, out = _apply_edited(tmp_path, frozen, old, new, *extra)
    assert r.exit_code == 0, r.output
    assert out.exists()


@pytest.mark.parametrize("old, new, extra, named", [
    ("let line_amount = orders.quantity * orders.unit_price",
     "let line_amount = orders.quantity * orders.unit_price * 2", (), "let `monetary`"),
    ("let f = ntile(frequency, 5)", "let f = ntile(frequency, 5, desc)", (), "the statistic itself"),
    ('from "UnitPrice"', 'from "UnitPrice" in 0..100000', (), "the inputs' declarations"),
    ("# the classic 5x5 R x F map", "# the classic 5x5 R x F map", ("--param", "as_of=2011-06-01"),
     'param `as_of` ("2011-05-23" when frozen, "2011-06-01" now)'),
], ids=["let", "statistic", "input", "param-value"])
def test_edits_the_statistics_depend_on_are_refused_naming_what_changed(tmp_path, frozen, old, new, extra, named):
    r, out = _apply_edited(tmp_path, frozen, old, new, *extra)
    assert r.exit_code == 1, r.output
    assert "was frozen from other rules" in r.output and named in r.output
    assert "run `segdsl stats` again" in r.output
    assert not out.exists()


def test_a_stats_file_of_an_earlier_format_asks_to_freeze_again(tmp_path, frozen):
    old = tmp_path / "old.json"
    content = json.loads(frozen.read_text(encoding="utf-8"))
    old.write_text(json.dumps({**content, "format": "segdsl-stats/1"}), encoding="utf-8")
    r = invoke("apply", RFM, "--input", f"orders={ORDERS}", "--stats", old, "-o", tmp_path / "o.csv")
    assert r.exit_code == 1 and "made by an earlier segdsl (segdsl-stats/1)" in r.output
