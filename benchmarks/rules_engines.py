"""segdsl's generated Python against the rules engines people reach for, on the same logic.

telecom_bench.seg written as rules for rule-engine (its expression language), zen-engine
and JsonLogic (panzi-json-logic), evaluated per customer in-process as their documentation
shows. rule-engine, zen-engine's expressions (compiled once) and JsonLogic evaluate the
rules of a `first` dimension in order until one matches and every rule of an `all` one.
zen-engine is also run as GoRules' decision model (JDM): one decision table per dimension
(hit policy first, or collect for the `all` one), chained, evaluated once per customer
through `ZenEngine.evaluate` (the form its documentation leads with). The rules engines
are given `days_idle` computed beforehand (none has date arithmetic that reads alike),
which only helps them. Every engine's segments are compared with hand-written if/elif
(benchmarks/macro.hand_segment) on every customer before any time is printed. segdsl is
timed in three forms: as its Python engine runs a clean batch (the vector form,
backends/vector.py, over the batch's typed Arrow columns, giving each dimension's
values as a list), the generated code's loop over the batch's columns
(`evaluate_columns`, its form for rules without a vector form), and per customer
(`evaluate` on a dict, the form the rules engines are given). The rules engines are
optional: `pip install '.[bench]'`; a missing one is left out.

Run: `python benchmarks/rules_engines.py [--rows 20000]`.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from macro import AS_OF, RULES, generate, hand_segment, run_generated  # noqa: E402

NULL = None
ENGINE = "segdsl Python engine (a clean batch in Arrow)"
LOOP = "segdsl generated loop (a batch's columns)"
EVALUATE = "segdsl evaluate (one dict per customer)"


# (dimension, policy, [(segment, rule-engine text, JsonLogic)], otherwise)
def _gt(field, n, op=">="):
    return {"and": [{"!==": [{"var": field}, NULL]}, {op: [{"var": field}, n]}]}   # strict: 0 != null is loose


def _in(field, items):
    return {"in": [{"var": field}, items]}


def _eq(field, v):
    return {"==": [{"var": field}, v]}


IN_NET = _eq("network", "in_net")
DIMENSIONS = [
    ("value", "first", [
        ("top", "arpu != null and arpu >= 300", _gt("arpu", 300)),
        ("high", "arpu != null and arpu >= 150", _gt("arpu", 150)),
        ("mid", "arpu != null and arpu >= 60", _gt("arpu", 60)),
        ("low", "arpu != null and arpu < 60", _gt("arpu", 60, "<")),
    ], "unknown"),
    ("status", "first", [
        ("churn_risk", "network == 'in_net' and ((days_idle != null and days_idle > 60) or complaints_90d >= 3)",
         {"and": [IN_NET, {"or": [_gt("days_idle", 60, ">"), {">=": [{"var": "complaints_90d"}, 3]}]}]}),
        ("new", "network == 'in_net' and tenure_months < 3", {"and": [IN_NET, {"<": [{"var": "tenure_months"}, 3]}]}),
        ("active", "network == 'in_net'", IN_NET),
        ("recalled", "network == 'recalled'", _eq("network", "recalled")),
        ("lost", "network in ['off_net', 'former']", _in("network", ["off_net", "former"])),
        ("prospect", "network == 'competitor'", _eq("network", "competitor")),
    ], None),
    ("credit", "first", [
        ("excellent", "credit_score != null and credit_score >= 750", _gt("credit_score", 750)),
        ("good", "credit_score != null and credit_score >= 650", _gt("credit_score", 650)),
        ("fair", "credit_score != null and credit_score >= 550", _gt("credit_score", 550)),
        ("poor", "credit_score != null and credit_score < 550", _gt("credit_score", 550, "<")),
    ], "unrated"),
    ("tags", "all", [
        ("senior", "age != null and age >= 60", _gt("age", 60)),
        ("youth", "age != null and age >= 18 and age <= 30", {"and": [_gt("age", 18), {"<=": [{"var": "age"}, 30]}]}),
        ("young_f", "gender == 'F' and age != null and age >= 18 and age <= 35",
         {"and": [_eq("gender", "F"), _gt("age", 18), {"<=": [{"var": "age"}, 35]}]}),
        ("complainer", "complaints_90d >= 2", {">=": [{"var": "complaints_90d"}, 2]}),
        ("unhappy", "satisfaction != null and satisfaction < 3", _gt("satisfaction", 3, "<")),
        ("group_plan", "plan in ['family', 'business']", _in("plan", ["family", "business"])),
    ], None),
    ("quadrant", "first", [
        ("star", "value in ['top', 'high'] and status in ['active', 'new']",
         {"and": [_in("value", ["top", "high"]), _in("status", ["active", "new"])]}),
        ("save", "value in ['top', 'high', 'mid'] and status == 'churn_risk'",
         {"and": [_in("value", ["top", "high", "mid"]), _eq("status", "churn_risk")]}),
        ("grow", "value == 'mid' and status in ['active', 'new']",
         {"and": [_eq("value", "mid"), _in("status", ["active", "new"])]}),
    ], "other"),
]


def rule_engine_segmenter():
    import rule_engine
    compiled = [(n, p, [(s, rule_engine.Rule(text)) for s, text, _ in rules], o) for n, p, rules, o in DIMENSIONS]
    return _with_rules(compiled, lambda rule, data: rule.matches(data))


def zen_segmenter():
    import zen        # zen-engine: GoRules' expression language (the same text as rule-engine's here)
    compiled = [(n, p, [(s, zen.compile_expression(text)) for s, text, _ in rules], o) for n, p, rules, o in DIMENSIONS]
    # it takes no date values: the date is left out (the rules read days_idle)
    return _with_rules(compiled, lambda rule, data: bool(rule.evaluate(data)), drop=("last_recharge",))


# zen-engine's decision model: (dimension, hit policy, input fields, [(cells, segment)]),
# a cell being a unary test of its column's field ("" matches anything)
TABLES = [
    ("value", "first", ["arpu"], [([">= 300"], "top"), ([">= 150"], "high"), ([">= 60"], "mid"),
                                  (["< 60"], "low"), ([""], "unknown")]),
    ("status", "first", ["network", "days_idle", "complaints_90d", "tenure_months"], [
        (['"in_net"', "> 60", "", ""], "churn_risk"), (['"in_net"', "", ">= 3", ""], "churn_risk"),
        (['"in_net"', "", "", "< 3"], "new"), (['"in_net"', "", "", ""], "active"),
        (['"recalled"', "", "", ""], "recalled"), (['"off_net", "former"', "", "", ""], "lost"),
        (['"competitor"', "", "", ""], "prospect")]),
    ("credit", "first", ["credit_score"], [([">= 750"], "excellent"), ([">= 650"], "good"), ([">= 550"], "fair"),
                                           (["< 550"], "poor"), ([""], "unrated")]),
    ("tags", "collect", ["age", "gender", "complaints_90d", "satisfaction", "plan"], [
        ([">= 60", "", "", "", ""], "senior"), (["[18..30]", "", "", "", ""], "youth"),
        (["[18..35]", '"F"', "", "", ""], "young_f"), (["", "", ">= 2", "", ""], "complainer"),
        (["", "", "", "< 3", ""], "unhappy"), (["", "", "", "", '"family", "business"'], "group_plan")]),
    ("quadrant", "first", ["value", "status"], [
        (['"top", "high"', '"active", "new"'], "star"), (['"top", "high", "mid"', '"churn_risk"'], "save"),
        (['"mid"', '"active", "new"'], "grow"), (["", ""], "other")]),
]


def zen_decision_graph() -> dict:
    """TABLES as a JDM graph: input → a table per dimension, in order → output. Each table
    passes its input through and adds its dimension (a `collect` table: a list of rows)."""
    import json
    nodes = [{"id": "in", "name": "customer", "type": "inputNode"}]
    for name, policy, fields, rules in TABLES:
        out_field = "segment" if policy == "collect" else name
        rows = [{"_id": f"{name}{r}", **{f"i{k}": cell for k, cell in enumerate(cells)}, "o": json.dumps(segment)}
                for r, (cells, segment) in enumerate(rules)]
        content = {"hitPolicy": policy, "passThrough": True, "rules": rows,
                   "inputs": [{"id": f"i{k}", "name": f, "field": f} for k, f in enumerate(fields)],
                   "outputs": [{"id": "o", "name": out_field, "field": out_field}]}
        if policy == "collect":
            content["outputPath"] = name
        nodes.append({"id": name, "name": name, "type": "decisionTableNode", "content": content})
    nodes.append({"id": "out", "name": "segments", "type": "outputNode"})
    order = [n["id"] for n in nodes]
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes,
            "edges": [{"id": f"e{i}", "type": "edge", "sourceId": a, "targetId": b}
                      for i, (a, b) in enumerate(zip(order, order[1:]))]}


def zen_tables_segmenter():
    import zen
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"segments": zen_decision_graph()}}})
    names = [name for name, *_ in TABLES]

    def segment(rec: dict) -> tuple:
        got = engine.evaluate("segments", rules_input(rec, drop=("last_recharge",)))["result"]   # no date values
        return tuple(tuple(row["segment"] for row in got.get(name, ())) if name == "tags" else got.get(name)
                     for name in names)
    return segment


def json_logic_segmenter():
    from json_logic import jsonLogic
    compiled = [(n, p, [(s, logic) for s, _, logic in rules], o) for n, p, rules, o in DIMENSIONS]
    return _with_rules(compiled, lambda rule, data: bool(jsonLogic(rule, data)))


def rules_input(rec: dict, drop=()) -> dict:
    """A customer as the rules engines are given it: `days_idle` computed beforehand, the
    fields in `drop` left out."""
    data = dict(rec)
    last = rec["last_recharge"]
    data["days_idle"] = None if last is None else (AS_OF - last).days
    for k in drop:
        del data[k]
    return data


def _with_rules(compiled, matches, drop=()):
    def segment(rec: dict) -> tuple:
        data = rules_input(rec, drop)
        out = []
        for name, policy, rules, otherwise in compiled:
            if policy == "all":
                value = tuple(seg for seg, rule in rules if matches(rule, data))
            else:
                value = next((seg for seg, rule in rules if matches(rule, data)), otherwise)
            data[name] = value
            out.append(value)
        return tuple(out)
    return segment


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import pyarrow as pa
    from segdsl.backends.arrow_types import ARROW_TYPES
    from segdsl.backends.python import compile_program
    from segdsl.backends.vector import compile_vector
    from segdsl.check.frontend import check_file
    from segdsl.passes import build_plan
    from segdsl.service.params import resolve_params
    rs = check_file(RULES).ruleset
    plan = build_plan(rs)
    program, vector, params = compile_program(plan), compile_vector(plan), resolve_params(rs)
    evaluate_columns = program.evaluate_columns
    records = generate(random.Random(20261101), 0, args.rows)
    # the Python engine's forms of a clean batch: its typed Arrow columns, or the same as lists
    columns = {name: [r[name] for r in records] for name in records[0]}
    kinds = {f.name: f.type.kind for f in rs.customer.fields}
    arrays = {name: pa.array(columns[name], ARROW_TYPES[kinds[name]]) for name in vector.fields}
    expected = [hand_segment(r) for r in records]
    runs = {ENGINE: lambda: vector.evaluate(arrays, len(records), params),
            LOOP: lambda: evaluate_columns(columns, len(records), params, [], {}),
            EVALUATE: lambda: run_generated(program, records, params),
            "hand-written if/elif": lambda: [hand_segment(r) for r in records]}
    for name, make in (("rule-engine", rule_engine_segmenter), ("zen-engine (expressions)", zen_segmenter),
                       ("zen-engine (decision tables)", zen_tables_segmenter),
                       ("JsonLogic (panzi-json-logic)", json_logic_segmenter)):
        try:
            segment = make()
        except ImportError:
            print(f"{name}: not installed (pip install '.[bench]'), left out")
            continue
        runs[name] = (lambda s: lambda: [s(r) for r in records])(segment)
    for name, run in runs.items():        # the same segments for every customer, or no table
        got = list(zip(*run())) if name == ENGINE else run()
        bad = next((i for i, (a, b) in enumerate(zip(got, expected)) if tuple(a) != tuple(b)), None)
        assert bad is None and len(got) == len(expected), f"{name} differs at {bad}: {got[bad]} != {expected[bad]}"
    best = {name: float("inf") for name in runs}
    for _ in range(args.repeat):
        for name, run in runs.items():
            t = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - t)
    ours, per_record = best[ENGINE], best[EVALUATE]
    print(f"{'engine (in-process, ' + format(args.rows, ',') + ' customers)':<52}{'seconds':>9}{'µs/customer':>13}"
          f"{'× engine':>10}{'× evaluate':>12}")
    for name, t in best.items():
        print(f"{name:<52}{t:>9.3f}{t / args.rows * 1e6:>13.2f}{t / ours:>9.1f}×{t / per_record:>11.1f}×")
    print("every engine gave the hand-written segments for every customer")


if __name__ == "__main__":
    main()
