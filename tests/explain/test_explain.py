"""`segdsl explain` on the shipped Telco sample: golden files, through the real CLI.

Golden files are under tests/fixtures/golden/explain/: the JSON `explain
--format json` prints and the text tree. Set SEGDSL_UPDATE_GOLDEN=1 to write
them again after an intended change (then read the diff)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.cli import app
from segdsl.engines.options import ApplyOptions
from segdsl.service import app as service
from segdsl.service.explain import explain
from segdsl.service.explain_text import text
from segdsl.service.params import resolve_params

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
DATA = ROOT / "segdsl" / "samples" / "telco_customers.csv"
BANK = ROOT / "rulesets" / "bank_marketing.seg"
BANK_DATA = ROOT / "segdsl" / "samples" / "bank_marketing.csv"
GOLDEN = ROOT / "tests" / "fixtures" / "golden" / "explain"
UPDATE = os.environ.get("SEGDSL_UPDATE_GOLDEN") == "1"

runner = CliRunner()

# a customer matched by a condition in every dimension (no `otherwise`, tags in `bundle`);
# one whose blank TotalCharges leaves conditions unknown, so it falls through to `otherwise`;
# one with seven tags
CUSTOMERS = {"9237-HQITU": "matched_everywhere", "4472-LVYGI": "missing_value", "1679-JRFBR": "many_tags"}


def golden(name: str, got: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8"), f"differs from {path} (SEGDSL_UPDATE_GOLDEN=1 rewrites it)"


def cli(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("key", CUSTOMERS)
def test_json_matches_the_golden_file(key):
    r = cli("explain", TELCO, "--input", f"customer={DATA}", "--id", key, "--format", "json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    golden(f"{CUSTOMERS[key]}.json", json.dumps(got, ensure_ascii=False, indent=1) + "\n")


@pytest.mark.parametrize("key", CUSTOMERS)
def test_text_tree_matches_the_golden_file(key):
    rs = service.check(TELCO).ruleset
    e = explain(rs, ApplyOptions(inputs={"customer": DATA}, params=resolve_params(rs)), key=key)
    golden(f"{CUSTOMERS[key]}.txt", text(e))


def test_the_missing_value_is_named_and_the_customer_falls_through():
    r = cli("explain", TELCO, "--input", f"customer={DATA}", "--id", "4472-LVYGI", "--format", "json")
    dims = {d["name"]: d for d in json.loads(r.stdout)["dimensions"]}
    lifetime = dims["value"]["trace"][0]
    assert lifetime["segment"] == "lifetime" and lifetime["truth"] == "unknown"
    assert lifetime["missing"] == ["total_charges"]
    risk = dims["churn_risk"]
    assert risk["segment"] == "low" and risk["trace"][-1] == {"segment": "low", "label": "低风险",
                                                             "matched": True, "otherwise": True}
    bill_jump = risk["trace"][1]["parts"][1]["parts"][2]
    assert bill_jump["condition"] == "bill_jump" and bill_jump["missing"] == ["total_charges"]


def test_every_tag_of_an_all_dimension_says_why():
    r = cli("explain", TELCO, "--input", f"customer={DATA}", "--id", "1679-JRFBR", "--dimension", "bundle",
            "--format", "json")
    [bundle] = json.loads(r.stdout)["dimensions"]
    assert len(bundle["segment"]) == 7
    assert [t["segment"] for t in bundle["trace"]] == [
        "voice_only", "net_only", "fiber", "multi_line", "protected", "no_support", "streamer", "family",
        "senior", "paperless"]
    assert [t["segment"] for t in bundle["trace"] if t["matched"]] == bundle["segment"]


def test_text_is_a_tree_with_the_files_labels():
    r = cli("explain", TELCO, "--input", f"customer={DATA}", "--id", "4472-LVYGI", "--dimension", "value")
    assert r.exit_code == 0, r.output
    assert "value 价值分层 (first) → basic 基础价值" in r.stdout
    assert "unknown because" in r.stdout      # the rest of the line may wrap at 80 columns


def test_a_keyless_input_takes_a_row_and_shows_population_values():
    r = cli("explain", BANK, "--input", f"customer={BANK_DATA}", "--delimiter", ";", "--row", "5",
            "--dimension", "wealth", "--format", "json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["key_name"] == "_row" and got["key"] == 5
    [rank] = got["dimensions"][0]["lets"]
    assert rank["name"] == "balance_rank" and rank["population"] == 1000 and 0 <= rank["value"] <= 1


@pytest.mark.parametrize("args, code, words", [
    (["--id", "0000-NOONE"], 1, "--id 0000-NOONE: no customer has customer_id = '0000-NOONE'"),
    ([], 2, "--id: give the key of the customer to explain"),
    (["--row", "3"], 2, "--row 3: the input has a key (customer_id)"),
    (["--id", "9237-HQITU", "--dimension", "nope"], 2, "--dimension nope: the ruleset has no dimension `nope`"),
    (["--id", "9237-HQITU", "--on-error", "quarantine"], 2, "--on-error quarantine: choose fail or skip"),
])
def test_wrong_use_is_worded_with_the_flag(args, code, words):
    r = cli("explain", TELCO, "--input", f"customer={DATA}", *args)
    assert r.exit_code == code
    assert words in r.stderr
    assert "Traceback" not in r.output


def test_a_mistyped_key_gets_a_did_you_mean():
    r = cli("explain", TELCO, "--input", f"customer={DATA}", "--id", "9237-HQIT")
    assert r.exit_code == 1
    assert "no customer has customer_id = '9237-HQIT' among the 1,000 customers read; did you mean 9237-HQITU?" \
        in r.stderr


def test_a_keyless_input_given_an_id_says_to_give_the_row():
    r = cli("explain", BANK, "--input", f"customer={BANK_DATA}", "--delimiter", ";", "--id", "5")
    assert r.exit_code == 2 and "--id 5: the input has no key" in r.stderr


def test_the_api_explains_a_key_in_data_and_a_record():
    seg = segdsl.load(TELCO)
    e = seg.explain("4472-LVYGI", DATA)
    assert e.segments()["value"] == "basic"
    assert e.as_dict()["dimensions"][1]["trace"][0]["missing"] == ["total_charges"]
    record = {"customerID": "r1", "gender": "Female", "SeniorCitizen": "0", "Partner": "No", "Dependents": "No",
              "tenure": 2, "PhoneService": "Yes", "MultipleLines": "No", "InternetService": "Fiber optic",
              "OnlineSecurity": "No", "OnlineBackup": "No", "DeviceProtection": "No", "TechSupport": "No",
              "StreamingTV": "No", "StreamingMovies": "No", "Contract": "Month-to-month",
              "PaperlessBilling": "Yes", "PaymentMethod": "Electronic check", "MonthlyCharges": 70.7,
              "TotalCharges": None, "Churn": "No"}
    assert seg.explain(record).segments() == seg.evaluate(record)


def test_the_api_words_problems_with_its_parameters():
    seg = segdsl.load(TELCO)
    with pytest.raises(segdsl.api.DataError, match=r"record_or_key='nobody': no customer has"):
        seg.explain("nobody", DATA)
    with pytest.raises(segdsl.api.OptionError, match=r"dimension='x': the ruleset has no dimension"):
        seg.explain("9237-HQITU", DATA, dimension="x")


def test_population_values_inside_a_let_are_shown_with_their_population():
    rfm = ROOT / "rulesets" / "ecommerce_rfm.seg"
    orders = ROOT / "segdsl" / "samples" / "online_retail_orders.csv"
    r = cli("explain", rfm, "--input", f"orders={orders}", "--id", "17850", "--dimension", "rfm8", "--format", "json")
    assert r.exit_code == 0, r.output
    lets = {v["name"]: v for v in json.loads(r.stdout)["dimensions"][0]["lets"]}
    mean = lets["mean(monetary)"]
    assert mean["kind"] == "population" and mean["population"] == 301
    assert lets["m_hi"]["value"] is (lets["monetary"]["value"] > mean["value"])


def test_a_unique_dimension_matched_twice_shows_the_conflict(tmp_path):
    rules = tmp_path / "u.seg"
    rules.write_text('''ruleset u version "1"
input customer key id {
  id: string
  v: int
}
dimension d unique {
  segment big when v > 5
  segment odd when v = 7
  otherwise other
}
''', encoding="utf-8")
    data = tmp_path / "c.csv"
    data.write_text("id,v\na,7\nb,1\n", encoding="utf-8")
    r = cli("explain", rules, "--input", f"customer={data}", "--id", "a", "--format", "json")
    assert r.exit_code == 0, r.output
    [d] = json.loads(r.stdout)["dimensions"]
    assert d["segment"] is None and d["conflict"] == ["big", "odd"]
    assert [t["matched"] for t in d["trace"]] == [True, True]
    text = cli("explain", rules, "--input", f"customer={data}", "--id", "a")
    assert "conflict: big, odd" in text.stdout


def test_related_rows_are_read_for_the_one_customer_explained(tmp_path):
    rules = tmp_path / "r.seg"
    rules.write_text('''ruleset r version "1"
input customer key id {
  id: string
}
related orders of customer by id {
  id: string
  amount: number
}
let total "合计" = sum(orders.amount)
dimension spend first {
  segment big when total >= 100
  segment some when count(orders) > 0
  otherwise none_
}
''', encoding="utf-8")
    customers = tmp_path / "c.csv"
    customers.write_text("id\na\nb\nc\n", encoding="utf-8")
    orders = tmp_path / "o.csv"
    orders.write_text("id,amount\na,60\nb,5\na,50\nz,1000\n", encoding="utf-8")
    seg = segdsl.load(rules)
    table = seg.apply({"customer": customers, "orders": orders})
    want = dict(zip(table.column("id").to_pylist(), table.column("spend").to_pylist()))
    for key in "abc":
        r = cli("explain", rules, "--input", f"customer={customers}", "--input", f"orders={orders}", "--id", key,
                "--format", "json")
        assert r.exit_code == 0, r.output
        got = json.loads(r.stdout)
        assert got["customers"] == 3 and got["dimensions"][0]["segment"] == want[key]
    assert want == {"a": "big", "b": "some", "c": "none_"}
    big = json.loads(cli("explain", rules, "--input", f"customer={customers}", "--input", f"orders={orders}",
                         "--id", "a", "--format", "json").stdout)
    assert big["dimensions"][0]["lets"] == [{"name": "total", "kind": "let", "label": "合计", "value": 110.0}]
