"""Macro benchmark: segdsl's generated Python against hand-written Python.

    .venv/bin/python benchmarks/macro.py [--rows N] [--chunk N] [--seed N]

Generates N random customer records (seeded, so every run sees the same
data) that fit benchmarks/rules/telecom_bench.seg, then segments them in this
one process with

  (a) the program segdsl generates for the ruleset, as a run calls it: bound to
      the run's params once (`evaluate = program.bind(params, stats, pins)`),
      then a plain loop calling `evaluate(record, rows)` and collecting the tuples;
  (b) the same segmentation written by hand as plain if/elif Python (below),
      with the null handling the language prescribes (a missing value never
      matches a comparison), collecting the same tuples;

and asserts that both give identical tuples on every record. For context it
also times the reference interpreter on the first 50,000 records.

Records are generated and segmented a chunk at a time (default 100,000) so
memory stays flat whatever N is. Each engine is timed 3 times on each chunk,
alternating (a) and (b), and the best time per chunk is kept; the reported
seconds are the sum of those bests. Only the segmentation loop is timed (not
data generation), with the garbage collector off during the timed loop, as
`timeit` does. `--clock cpu` times with the process's CPU time instead of the
wall clock, for machines other jobs share.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import sys
import time
from pathlib import Path

from segdsl.backends.interp import Interpreter
from segdsl.backends.python import compile_program
from segdsl.runtime.customers import Customer
from segdsl.check.frontend import check_file
from segdsl.service.params import resolve_params

HERE = Path(__file__).resolve().parent
RULES = HERE / "rules" / "telecom_bench.seg"
REPEAT = 3
INTERP_ROWS = 50_000
TARGET = 0.8

# ---------------------------------------------------------------- the data

AS_OF = dt.date(2026, 11, 1)
_RECHARGE_DATES = [AS_OF - dt.timedelta(days=d) for d in range(0, 366)]
_NETWORKS = ["in_net", "off_net", "former", "recalled", "competitor"]
_NETWORK_W = [70, 8, 5, 7, 10]
_PLANS = ["prepaid", "postpaid", "family", "business"]
_PLAN_W = [45, 35, 15, 5]
_COMPLAINTS = [0, 1, 2, 3, 4, 5]
_COMPLAINT_W = [70, 14, 7, 5, 3, 1]


def generate(rng: random.Random, start: int, n: int) -> list[dict]:
    """`n` customer records as the loaders produce them: enum members by name,
    None for a missing value, defaults (complaints_90d) filled in."""
    r = rng.random
    randint = rng.randint
    choices = rng.choices
    lognorm = rng.lognormvariate
    expo = rng.expovariate
    networks = choices(_NETWORKS, _NETWORK_W, k=n)
    plans = choices(_PLANS, _PLAN_W, k=n)
    complaints = choices(_COMPLAINTS, _COMPLAINT_W, k=n)
    out = []
    for i in range(n):
        out.append({
            "customer_id": f"C{start + i:09d}",
            "age": None if r() < 0.10 else randint(16, 90),
            "gender": None if r() < 0.15 else ("F" if r() < 0.5 else "M"),
            "arpu": None if r() < 0.08 else round(lognorm(4.2, 0.8), 2),
            "tenure_months": min(600, int(expo(1 / 36))),
            "network": networks[i],
            "plan": plans[i],
            "last_recharge": None if r() < 0.12 else _RECHARGE_DATES[int(expo(1 / 40)) % 366],
            "complaints_90d": complaints[i],
            "credit_score": None if r() < 0.20 else randint(300, 850),
            "satisfaction": None if r() < 0.30 else round(r() * 5, 1),
        })
    return out


# ------------------------------------------------- the hand-written version

GAP_DAYS = 60
GROUP_PLANS = ("family", "business")


def hand_segment(rec: dict) -> tuple:
    """telecom_bench.seg written by hand: (value, status, credit, tags, quadrant)."""
    arpu = rec["arpu"]
    if arpu is None:
        value = "unknown"
    elif arpu >= 300:
        value = "top"
    elif arpu >= 150:
        value = "high"
    elif arpu >= 60:
        value = "mid"
    else:
        value = "low"

    network = rec["network"]
    complaints = rec["complaints_90d"]
    if network == "in_net":
        last = rec["last_recharge"]
        if (last is not None and (AS_OF - last).days > GAP_DAYS) or complaints >= 3:
            status = "churn_risk"
        elif rec["tenure_months"] < 3:
            status = "new"
        else:
            status = "active"
    elif network == "recalled":
        status = "recalled"
    elif network == "off_net" or network == "former":
        status = "lost"
    elif network == "competitor":
        status = "prospect"
    else:
        status = None

    score = rec["credit_score"]
    if score is None:
        credit = "unrated"
    elif score >= 750:
        credit = "excellent"
    elif score >= 650:
        credit = "good"
    elif score >= 550:
        credit = "fair"
    else:
        credit = "poor"

    tags = []
    age = rec["age"]
    if age is not None:
        if age >= 60:
            tags.append("senior")
        if 18 <= age <= 30:
            tags.append("youth")
        if 18 <= age <= 35 and rec["gender"] == "F":
            tags.append("young_f")
    if complaints >= 2:
        tags.append("complainer")
    satisfaction = rec["satisfaction"]
    if satisfaction is not None and satisfaction < 3:
        tags.append("unhappy")
    if rec["plan"] in GROUP_PLANS:
        tags.append("group_plan")

    if value == "top" or value == "high":
        if status == "active" or status == "new":
            quadrant = "star"
        elif status == "churn_risk":
            quadrant = "save"
        else:
            quadrant = "other"
    elif value == "mid":
        if status == "churn_risk":
            quadrant = "save"
        elif status == "active" or status == "new":
            quadrant = "grow"
        else:
            quadrant = "other"
    else:
        quadrant = "other"
    return (value, status, credit, tuple(tags), quadrant)


# ---------------------------------------------------------------- timing

def run_generated(program, records, params):
    """The generated program as a run calls it: bound to the run's params once
    (`program.bind`), then called per record."""
    evaluate = program.bind(params, [], {})
    rows = {}
    out = []
    append = out.append
    for record in records:
        append(evaluate(record, rows))
    return out


def run_generated_s(program, records, params, stats):
    """As run_generated, for a ruleset with population statistics (`stats` computed beforehand)."""
    evaluate = program.bind(params, stats, {})
    rows = {}
    out = []
    append = out.append
    for record in records:
        append(evaluate(record, rows))
    return out


def run_hand(segment, records):
    out = []
    append = out.append
    for rec in records:
        append(segment(rec))
    return out


CLOCK = time.perf_counter


def timed(fn, *args):
    gc.collect()
    gc.disable()
    try:
        t0 = CLOCK()
        result = fn(*args)
        return CLOCK() - t0, result
    finally:
        gc.enable()


def first_difference(a: list, b: list, records: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"record {records[i]['customer_id']}: segdsl {x} != hand-written {y}\n  {records[i]}"
    return f"lengths differ: {len(a)} != {len(b)}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="records to segment (default 1,000,000)")
    ap.add_argument("--chunk", type=int, default=100_000, help="records generated and timed at a time")
    ap.add_argument("--seed", type=int, default=20261101)
    ap.add_argument("--interp-rows", type=int, default=INTERP_ROWS,
                    help="records for the reference interpreter (default 50,000; 0 skips it)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="wall: time.perf_counter (default); cpu: time.process_time, steadier when "
                         "other jobs share the machine")
    ap.add_argument("--min-ratio", type=float, default=None,
                    help="exit 1 when segdsl/hand-written throughput is below this")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter

    result = check_file(RULES)
    if not result.ok:
        for d in result.diagnostics:
            print(d, file=sys.stderr)
        return 1
    rs = result.ruleset
    params = resolve_params(rs)
    assert params["as_of"] == AS_OF and params["gap_days"] == GAP_DAYS, "hand-written constants out of date"
    program = compile_program(rs)
    assert program.stages == [], "the benchmark ruleset must not need population statistics"

    print(f"segdsl macro benchmark: {RULES.relative_to(HERE.parent)}")
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"{cpu_model()}, {len_cpus()} cores")
    print(f"{args.rows:,} records, seed {args.seed}, chunks of {args.chunk:,}, best of {REPEAT} per chunk, "
          f"{args.clock} clock")
    load = load_average()
    if load is not None:
        busy = load >= 0.5
        print(f"load average {load:.2f} at start" + (" -- other jobs are running; timings may be noisy"
                                                     + (" (try --clock cpu)" if args.clock == "wall" else "")
                                                     if busy else ""))

    rng = random.Random(args.seed)
    t_gen = t_hand = 0.0
    done = 0
    while done < args.rows:
        n = min(args.chunk, args.rows - done)
        records = generate(rng, done, n)
        best_gen = best_hand = float("inf")
        for _ in range(REPEAT):
            s, got_gen = timed(run_generated, program, records, params)
            best_gen = min(best_gen, s)
            s, got_hand = timed(run_hand, hand_segment, records)
            best_hand = min(best_hand, s)
        assert got_gen == got_hand, first_difference(got_gen, got_hand, records)
        t_gen += best_gen
        t_hand += best_hand
        done += n
        del records, got_gen, got_hand

    rows_gen = [("hand-written Python", args.rows, t_hand), ("segdsl generated Python", args.rows, t_gen)]

    interp_line = None
    if args.interp_rows > 0:
        m = min(args.interp_rows, args.rows)
        records = generate(random.Random(args.seed), 0, m)
        customers = [Customer(rec["customer_id"], rec, {}, i + 1) for i, rec in enumerate(records)]
        names = [d.name for d in rs.dimensions]
        best = float("inf")
        for _ in range(REPEAT):
            s, envs = timed(lambda: Interpreter(rs, params).run(customers))
            best = min(best, s)
        got = [tuple(env[n] for n in names) for env in envs]
        want = run_hand(hand_segment, records)
        assert got == want, first_difference(got, want, records)
        interp_line = ("reference interpreter", m, best)
        del records, customers, envs, got, want

    hand_rps = args.rows / t_hand
    print()
    print(f"{'engine':<26}{'rows':>11}{'seconds':>10}{'rows/s':>12}{'vs hand-written':>17}")
    for name, n, s in rows_gen + ([interp_line] if interp_line else []):
        rps = n / s
        print(f"{name:<26}{n:>11,}{s:>10.3f}{rps:>12,.0f}{rps / hand_rps:>16.2f}x")
    ratio = (args.rows / t_gen) / hand_rps
    print()
    print(f"segdsl / hand-written throughput: {ratio:.2f}x "
          f"(target >= {TARGET:.2f}x: {'met' if ratio >= TARGET else 'NOT met'}); "
          f"all {args.rows:,} records identical")
    if args.min_ratio is not None and ratio < args.min_ratio:
        return 1
    return 0


def len_cpus() -> int:
    return os.cpu_count() or 1


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


if __name__ == "__main__":
    sys.exit(main())
