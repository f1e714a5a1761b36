"""`segdsl apply` end to end through the real CLI, on real files."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from segdsl.cli import app

RULES = '''
ruleset shop "商店" version "1"
param min_spend: number = 100
input customer key id {
  id:     string from "客户编号"
  spend:  number? in 0..100000
  tier:   enum { gold = "Gold" "金卡", silver = "Silver" }?
  visits: int = 0
}
dimension value "价值" first {
  segment vip  "贵宾" when spend >= min_spend * 10 { channel: "call", priority: 1 }
  segment good "优质" when spend >= min_spend
  otherwise rest "其他"
}
dimension tags "标签" all {
  segment gold     "金卡" when tier = gold
  segment frequent "常客" when visits >= 5
}
'''

GOOD = "客户编号,spend,tier,visits\na1,1500,Gold,7\na2,150.5,,\na3,,Silver,1\n"
BAD = "客户编号,spend,tier,visits\na1,1500,Gold,7\na2,-5,,\na3,,Bronze,1\na4,20,Silver,x\na5,99,,\n"

runner = CliRunner()


@pytest.fixture
def rules(tmp_path):
    p = tmp_path / "shop.seg"
    p.write_text(RULES, encoding="utf-8")
    return p


@pytest.fixture(params=["duckdb", "python"])
def engine(request):
    return request.param


@pytest.fixture
def run(engine):
    """The real CLI; every `apply` runs once per engine."""
    def invoke(*args):
        argv = [str(a) for a in args] + (["--engine", engine] if args[0] == "apply" else [])
        result = runner.invoke(app, argv)
        assert "Traceback" not in (result.output or "")
        return result
    return invoke


def test_apply_csv_to_parquet_with_labels_and_attributes(tmp_path, rules, run):
    data = tmp_path / "in.csv"
    data.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out.parquet"
    r = run("apply", rules, "--input", f"customer={data}", "-o", out, "--labels", "--attributes")
    assert r.exit_code == 0, r.output
    rows = pq.read_table(out).to_pylist()
    assert [x["id"] for x in rows] == ["a1", "a2", "a3"]
    assert [x["value"] for x in rows] == ["vip", "good", "rest"]
    assert [x["tags"] for x in rows] == [["gold", "frequent"], [], []]
    assert rows[0]["value_label"] == "贵宾" and rows[0]["value_channel"] == "call"
    assert rows[0]["value_priority"] == 1 and rows[1]["value_priority"] is None
    assert rows[0]["tags_label"] == ["金卡", "常客"]
    assert "vip" in r.output and "3 customers written" in r.output.replace(",", "")


def test_csv_output_joins_tags_and_param_override(tmp_path, rules, run):
    data = tmp_path / "in.csv"
    data.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out.csv"
    r = run("apply", rules, "--input", str(data), "-o", out, "--param", "min_spend=200")
    assert r.exit_code == 0, r.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,value,tags"
    assert lines[1] == "a1,good,gold|frequent"      # 1500 < 200 * 10
    assert lines[2] == "a2,rest,"


def test_on_error_fail_names_row_and_column_and_writes_nothing(tmp_path, rules, run):
    data = tmp_path / "in.csv"
    data.write_text(BAD, encoding="utf-8")
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous run")
    r = run("apply", rules, "--input", f"customer={data}", "-o", out)
    assert r.exit_code == 1
    assert "row 2 (line 3)" in r.output and "spend = -5 is out of range" in r.output
    assert out.read_bytes() == b"previous run"            # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_on_error_skip_counts(tmp_path, rules, run):
    data = tmp_path / "in.csv"
    data.write_text(BAD, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "summary.json"
    r = run("apply", rules, "--input", f"customer={data}", "-o", out, "--on-error", "skip",
            "--summary-json", summary)
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in rows] == ["a1", "a5"]
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["skipped"] == 3 and s["written"] == 2 and s["read"] == {"customer": 5}


def test_on_error_quarantine_writes_every_bad_row_with_reason(tmp_path, rules, run):
    data = tmp_path / "in.csv"
    data.write_text(BAD, encoding="utf-8")
    out = tmp_path / "out.csv"
    r = run("apply", rules, "--input", f"customer={data}", "-o", out, "--on-error", "quarantine")
    assert r.exit_code == 0, r.output
    q = (tmp_path / "out.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert q[0].startswith("_row,_reason,客户编号")
    assert [line.split(",")[0] for line in q[1:]] == ["2", "3", "4"]
    assert "Bronze" in q[2] and "visits" in q[3]


def test_without_key_rows_are_numbered(tmp_path, run):
    rules = tmp_path / "r.seg"
    rules.write_text('ruleset r\ninput c { x: int? }\ndimension d first { segment big when x > 5 otherwise small }\n',
                     encoding="utf-8")
    data = tmp_path / "in.jsonl"
    data.write_text('{"x": 9}\n{"x": null}\n{"x": "bad"}\n{"x": 1}\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    r = run("apply", rules, "--input", f"c={data}", "-o", out, "--on-error", "skip")
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines() == ["_row,d", "1,big", "2,small", "4,small"]


def test_keep_carries_input_columns(tmp_path, rules, run):
    data = tmp_path / "in.csv"
    data.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out.csv"
    r = run("apply", rules, "--input", str(data), "-o", out, "--keep", "spend,tier")
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8").splitlines()[:2] == ["id,value,tags,spend,tier", "a1,vip,gold|frequent,1500,Gold"]


@pytest.mark.parametrize("args, message", [
    (["--param", "min_spend=lots"], "needs a number"),
    (["--param", "nope=1"], "no param `nope`"),
    (["--on-error", "ignore"], "ignore"),
])
def test_usage_errors_exit_2(tmp_path, rules, args, message, run):
    data = tmp_path / "in.csv"
    data.write_text(GOOD, encoding="utf-8")
    r = run("apply", rules, "--input", str(data), *args)
    assert r.exit_code == 2
    assert message in r.output


def test_unknown_input_and_missing_file_are_usage_errors(tmp_path, rules, run):
    r = run("apply", rules, "--input", f"orders={tmp_path / 'x.csv'}")
    assert r.exit_code == 2 and "no input `orders`" in r.output
    r = run("apply", rules, "--input", f"customer={tmp_path / 'missing.csv'}")
    assert r.exit_code == 2 and "no such file" in r.output


def test_missing_required_column_is_a_data_error(tmp_path, rules, run):
    data = tmp_path / "in.csv"
    data.write_text("spend\n1\n", encoding="utf-8")
    r = run("apply", rules, "--input", str(data), "-o", tmp_path / "o.csv")
    assert r.exit_code == 1 and "客户编号" in r.output
    assert not (tmp_path / "o.csv").exists()


def test_unique_conflict_is_bad_input(tmp_path, run):
    rules = tmp_path / "u.seg"
    rules.write_text('ruleset u\ninput c key id { id: string  x: int }\n'
                     'dimension d unique { segment a when x > 1 segment b when x > 5 otherwise o }\n', encoding="utf-8")
    data = tmp_path / "in.csv"
    data.write_text("id,x\nk1,3\nk2,9\n", encoding="utf-8")
    r = run("apply", rules, "--input", str(data), "-o", tmp_path / "o.csv")
    assert r.exit_code == 1 and "row 2" in r.output and "unique" in r.output
    r = run("apply", rules, "--input", str(data), "-o", tmp_path / "o.csv", "--on-error", "skip")
    assert r.exit_code == 0
    assert (tmp_path / "o.csv").read_text().splitlines() == ["id,d", "k1,a"]


def test_related_rows_and_population(tmp_path, run, engine):
    """Population statistics over aggregates of related rows, the same on every engine."""
    rules = tmp_path / "rfm.seg"
    rules.write_text('''
ruleset rfm
related orders of customer by cid { cid: string  amount: number }
let total = sum(orders.amount where orders.amount > 0)
let n = count(orders)
let top = percent_rank(total)
dimension value first { segment best when top >= 50% segment other when total >= 0 }
dimension busy first { segment many when n >= 2 otherwise few }
''', encoding="utf-8")
    data = tmp_path / "orders.csv"
    data.write_text("cid,amount\nx,10\ny,5\nx,-3\nz,1\nx,2\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    r = run("apply", rules, "--input", f"orders={data}", "-o", out)
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines() == ["cid,value,busy", "x,best,many", "y,best,few", "z,other,few"]


def test_related_rows_on_every_engine(tmp_path, run):
    rules = tmp_path / "orders.seg"
    rules.write_text('''
ruleset o
param as_of: date = 2011-06-01
input customer key cid { cid: string  region: string? }
related orders of customer by cid { cid: string  invoice: string  amount: number  at: datetime }
let spent = sum(orders.amount where orders.amount > 0)
let invoices = count_distinct(orders.invoice where orders.at >= as_of - 30 days)
let last = max(orders.at)
dimension value first { segment big when spent >= 10 segment small when spent > 0 otherwise none }
dimension recent first { segment active when invoices >= 1 segment idle when last is not null otherwise never }
''', encoding="utf-8")
    cust = tmp_path / "c.csv"
    cust.write_text("cid,region\nx,north\ny,\nz,south\n", encoding="utf-8")
    orders = tmp_path / "o.csv"
    orders.write_text("cid,invoice,amount,at\nx,A1,8,2011-05-20 10:00:00\nx,A2,3,2011-01-01T00:00:00\n"
                      "y,B1,-4,2011-05-30 09:00\nq,Q1,5,2011-05-30 09:00\n", encoding="utf-8")
    out = tmp_path / "o.csv.out.csv"
    r = run("apply", rules, "--input", f"customer={cust}", "--input", f"orders={orders}", "-o", out)
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines() == ["cid,value,recent", "x,big,active", "y,none,active", "z,none,never"]
    assert "1 related rows with no customer" in r.output


def test_a_rule_the_engines_sql_cannot_express_is_a_diagnostic_at_the_rule(tmp_path):
    """The Python engine runs an aggregate that reads a customer value; DuckDB's SQL cannot
    express it yet, and says so as SEG501 at the rule, writing nothing."""
    rule_file = tmp_path / "shop.seg"
    rule_file.write_text("ruleset shop\n"
                         "input customer key id { id: string  limit: number }\n"
                         "related orders of customer by id { id: string  amount: number }\n"
                         "dimension value first {\n"
                         "  segment big when count(orders where orders.amount > limit) > 1\n"
                         "  otherwise small\n"
                         "}\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("id,limit\na,10\nb,100\n", encoding="utf-8")
    (tmp_path / "o.csv").write_text("id,amount\na,20\na,30\nb,50\n", encoding="utf-8")
    args = ["apply", str(rule_file), "--input", f"customer={tmp_path / 'c.csv'}",
            "--input", f"orders={tmp_path / 'o.csv'}"]
    out = tmp_path / "out.csv"
    refused = runner.invoke(app, [*args, "--engine", "duckdb", "--output", str(out)])
    assert refused.exit_code == 1
    assert "SEG501" in refused.output and f"{rule_file}:5:" in refused.output
    assert "nothing was written" in refused.output and not out.exists()
    ran = runner.invoke(app, [*args, "--engine", "python", "--output", str(out)])
    assert ran.exit_code == 0, ran.output
    assert out.read_text(encoding="utf-8").splitlines() == ["id,value", "a,big", "b,small"]
