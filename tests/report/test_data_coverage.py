"""`segdsl test --data`: segments no real customer reaches, and `--max-share`."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from segdsl.cli import app

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
DATA = ROOT / "segdsl" / "samples" / "telco_customers.csv"
BANK = ROOT / "rulesets" / "bank_marketing.seg"
BANK_DATA = ROOT / "segdsl" / "samples" / "bank_marketing.csv"

runner = CliRunner()


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_segments_no_customer_reaches_are_listed():
    # the sample is the first days of one campaign: nobody was contacted before (samples/README.md)
    r = cli("test", BANK, "--data", f"customer={BANK_DATA}", "--delimiter", ";", "--format", "json")
    assert r.exit_code == 0, r.output
    [entry] = json.loads(r.stdout)
    assert entry["data"]["customers"] == 1000
    assert {"history.converted", "history.recent", "history.failed", "history.touched"} <= set(
        entry["data"]["unreached"])
    assert "life_stage.young" not in entry["data"]["unreached"]
    text = cli("test", BANK, "--data", f"customer={BANK_DATA}", "--delimiter", ";")
    assert "reached by no customer: history.converted" in text.stdout


def test_max_share_fails_when_one_segment_takes_too_much():
    r = cli("test", TELCO, "--data", f"customer={DATA}", "--max-share", "40")
    assert r.exit_code == 1
    assert "churn_risk: low takes 41.9% of the customers (more than --max-share 40%)" in r.stdout
    assert "bundle" not in r.stdout.split("on data")[1]          # tags are not shares of one dimension
    r = cli("test", TELCO, "--data", f"customer={DATA}", "--max-share", "45", "--format", "json")
    assert r.exit_code == 0, r.output
    [entry] = json.loads(r.stdout)
    assert entry["data"]["unreached"] == [] and entry["data"]["dominant"] == []


def test_wrong_use():
    r = cli("test", TELCO, "--max-share", "40")
    assert r.exit_code == 2 and "--max-share: give the data with --data" in r.stderr
    r = cli("test", TELCO, "--data", f"orders={DATA}")
    assert r.exit_code == 2 and "--data orders: the ruleset has no input `orders`" in r.stderr
    r = cli("test", TELCO, "--data", f"customer={DATA}", "--max-share", "140")
    assert r.exit_code == 2 and "--max-share 140" in r.stderr
