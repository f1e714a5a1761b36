"""`segdsl report` through the real CLI on the shipped samples: sizes equal `apply`'s
counts on each engine, measures equal a direct computation from the file."""
from __future__ import annotations

import csv
import json
import re
import statistics
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import registry

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
DATA = ROOT / "segdsl" / "samples" / "telco_customers.csv"
RFM = ROOT / "rulesets" / "ecommerce_rfm.seg"
ORDERS = ROOT / "segdsl" / "samples" / "online_retail_orders.csv"

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def sizes_equal_apply(tmp_path, engine: str, rules: Path, inputs: str) -> None:
    out = tmp_path / f"{engine}.parquet"
    r = cli("apply", rules, "--input", inputs, "--engine", engine, "--output", out)
    assert r.exit_code == 0, r.output
    applied = pq.read_table(out).to_pylist()
    r = cli("report", rules, "--input", inputs, "--engine", engine, "--format", "json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["customers"] == len(applied) and got["engine"] == engine
    for d in got["dimensions"]:
        counts: Counter = Counter()
        for row in applied:
            v = row[d["name"]]
            for name in (v or [None]) if isinstance(v, list) or d["policy"] == "all" else [v]:
                counts[name] += 1
        reported = {s["name"]: s["customers"] for s in d["segments"]}
        assert {k: n for k, n in reported.items() if n} == dict(counts), d["name"]
        assert all(abs(s["share"] - s["customers"] / len(applied)) < 1e-12 for s in d["segments"])


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_sizes_equal_the_counts_of_apply(tmp_path, engine):
    sizes_equal_apply(tmp_path, engine, TELCO, f"customer={DATA}")
    sizes_equal_apply(tmp_path, engine, RFM, f"orders={ORDERS}")


@pytest.mark.full
@pytest.mark.parametrize("engine", [e for e in registry.names() if e not in ("duckdb", "python")])
def test_sizes_equal_the_counts_of_apply_on_every_engine(tmp_path, engine):
    if engine not in registry.available():
        pytest.skip(f"the {engine} engine is not available here")
    sizes_equal_apply(tmp_path, engine, TELCO, f"customer={DATA}")
    sizes_equal_apply(tmp_path, engine, RFM, f"orders={ORDERS}")


def test_measures_equal_a_direct_computation(tmp_path):
    r = cli("report", TELCO, "--input", f"customer={DATA}", "--measure", "monthly_charges", "--format", "json")
    assert r.exit_code == 0, r.output
    lifecycle = next(d for d in json.loads(r.stdout)["dimensions"] if d["name"] == "lifecycle")
    rows = list(csv.DictReader(DATA.open(encoding="utf-8")))
    bounds = {"onboarding": (0, 6), "growing": (6, 24), "mature": (24, 48), "loyal": (48, 10**6)}
    grand = sum(float(x["MonthlyCharges"]) for x in rows)
    for s in lifecycle["segments"]:
        lo, hi = bounds[s["name"]]
        mine = [float(x["MonthlyCharges"]) for x in rows if lo <= int(x["tenure"]) < hi]
        m = s["measures"]["monthly_charges"]
        assert s["customers"] == len(mine)
        assert m["total"] == pytest.approx(sum(mine)) and m["share"] == pytest.approx(sum(mine) / grand)
        assert m["mean"] == pytest.approx(statistics.fmean(mine))
        assert m["median"] == pytest.approx(statistics.median(mine))


def test_a_let_is_a_measure_and_customers_without_a_segment_are_a_row(tmp_path):
    rules = tmp_path / "r.seg"
    rules.write_text('''ruleset r "规则" version "1"
input customer key id {
  id: string
  spend: number?
}
let double "两倍" = spend * 2
dimension big "大客户" first {
  segment yes "是" when spend >= 100
}
''', encoding="utf-8")
    data = tmp_path / "c.csv"
    data.write_text("id,spend\na,150\nb,50\nc,\nd,250\n", encoding="utf-8")
    r = cli("report", rules, "--input", f"customer={data}", "--measure", "double", "--format", "json")
    assert r.exit_code == 0, r.output
    [big] = json.loads(r.stdout)["dimensions"]
    yes, none = big["segments"]
    assert (yes["name"], yes["customers"], yes["share"]) == ("yes", 2, 0.5)
    assert (none["name"], none["label"], none["customers"]) == (None, "no segment", 2)
    assert yes["measures"]["double"] == {"total": 800.0, "share": 800 / 900, "mean": 400.0, "median": 400.0,
                                         "count": 2}
    assert none["measures"]["double"]["count"] == 1       # c has no spend: left out


def test_text_shows_tables_with_bars_and_the_crosstab():
    r = cli("report", TELCO, "--input", f"customer={DATA}", "--measure", "monthly_charges",
            "--crosstab", "value,churn_risk")
    assert r.exit_code == 0, r.output
    assert "价值分层" in r.stdout and "█" in r.stdout
    assert "value × churn_risk" in r.stdout


def test_the_crosstab_counts_every_pair(tmp_path):
    r = cli("report", TELCO, "--input", f"customer={DATA}", "--crosstab", "value,churn_risk", "--format", "json")
    got = json.loads(r.stdout)
    cross = got["crosstab"]
    assert sum(map(sum, cross["customers"])) == got["customers"]
    value = {s["name"]: s["customers"] for s in got["dimensions"][1]["segments"]}
    assert [sum(row) for row in cross["customers"]] == [value[s["name"]] for s in cross["row_segments"]]


def test_the_html_page_is_one_self_contained_file(tmp_path):
    page = tmp_path / "report.html"
    r = cli("report", TELCO, "--input", f"customer={DATA}", "--html", page, "--format", "json")
    assert r.exit_code == 0, r.output
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "终身价值客户" in text
    assert not re.search(r"<(script|link|img)[^>]*\s(src|href)=", text)     # nothing fetched
    assert text.count("Plotly.newPlot") == 5


@pytest.mark.parametrize("args, words", [
    (["--measure", "monthly_charge"], "--measure monthly_charge: the ruleset has no field or let of this name"),
    (["--measure", "contract"], "--measure contract: holds enum values, not numbers"),
    (["--crosstab", "value"], "--crosstab value: give two dimensions: D1,D2"),
    (["--crosstab", "value,nope"], "--crosstab nope: the ruleset has no dimension"),
    (["--engine", "nope"], "--engine nope: available engines"),
])
def test_wrong_use_is_worded_with_the_flag(args, words):
    r = cli("report", TELCO, "--input", f"customer={DATA}", *args)
    assert r.exit_code == 2, r.output
    assert words in r.stderr


def test_the_html_page_may_not_overwrite_an_input(tmp_path):
    data = tmp_path / "c.csv"
    data.write_bytes(DATA.read_bytes())
    r = cli("report", TELCO, "--input", f"customer={data}", "--html", data)
    assert r.exit_code == 2 and "--html" in r.stderr
    assert data.read_bytes() == DATA.read_bytes()


def test_a_let_measure_may_read_population_values_and_dimensions(tmp_path):
    rules = tmp_path / "r.seg"
    rules.write_text('''ruleset r version "1"
input customer key id {
  id: string
  spend: number
}
let rank = percent_rank(spend)
let big_spend = case when big = yes then spend else 0 end
dimension big first {
  segment yes when rank >= 50%
  otherwise no
}
''', encoding="utf-8")
    data = tmp_path / "c.csv"
    data.write_text("id,spend\na,10\nb,20\nc,30\nd,40\ne,50\n", encoding="utf-8")
    r = cli("report", rules, "--input", f"customer={data}", "--measure", "big_spend", "--measure", "rank",
            "--format", "json")
    assert r.exit_code == 0, r.output
    [big] = json.loads(r.stdout)["dimensions"]
    yes, no = big["segments"]
    assert yes["customers"] == 3 and yes["measures"]["big_spend"]["total"] == 120.0
    assert no["measures"]["big_spend"]["total"] == 0 and yes["measures"]["big_spend"]["share"] == 1.0
    assert yes["measures"]["rank"]["mean"] == pytest.approx(0.75)


def test_the_api_returns_the_report_and_writes_the_page(tmp_path):
    import segdsl
    seg = segdsl.load(TELCO)
    found = seg.report(DATA, measures=["monthly_charges"], crosstab=("value", "churn_risk"),
                       html=tmp_path / "r.html")
    cli_json = json.loads(cli("report", TELCO, "--input", f"customer={DATA}", "--measure", "monthly_charges",
                              "--crosstab", "value,churn_risk", "--format", "json").stdout)
    assert found.as_dict() == cli_json
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(segdsl.api.OptionError, match=r"measure='nope': the ruleset has no field or let"):
        seg.report(DATA, measures=["nope"])
    with pytest.raises(segdsl.api.OptionError, match=r"on_error='quarantine': choose fail or skip"):
        seg.report(DATA, on_error="quarantine")


def test_rule_text_cannot_become_markup_or_terminal_control(tmp_path):
    rules = tmp_path / "r.seg"
    rules.write_text('''ruleset r "<b>x</b>" version "1"
input customer key id {
  id: string
  v: int
}
dimension d "</script><script>alert(1)</script>" first {
  segment hi "[bold]\x1b[31mred" when v > 1
  otherwise lo "<img src=x onerror=alert(2)>"
}
''', encoding="utf-8")
    data = tmp_path / "c.csv"
    data.write_text("id,v\na,2\nb,1\n", encoding="utf-8")
    page = tmp_path / "p.html"
    r = cli("report", rules, "--input", f"customer={data}", "--html", page, "--crosstab", "d,d")
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.stdout and "[bold]" in r.stdout          # shown, not obeyed
    text = page.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text and "<img src=x" not in text and "<b>x</b>" not in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text
