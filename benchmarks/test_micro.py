"""Micro benchmarks (pytest-benchmark): the front end and compiler on each
example file, and per-record evaluation of the generated code.

    .venv/bin/pytest benchmarks --benchmark-enable -p no:cacheprovider

Evaluation benchmarks run one round over a fixed batch of BATCH records (a mix
of branches and nulls); divide the reported time by BATCH for one record.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

import macro
from segdsl.backends.python import compile_program, compute_stats, generate
from segdsl.runtime.customers import Customer
from segdsl.check.frontend import check_file
from segdsl.service.params import resolve_params

HERE = Path(__file__).resolve().parent
EXAMPLES = sorted((HERE.parent / "tests" / "fixtures" / "examples").glob("*.seg"))
BATCH = 1_000
POPULATION = 2_000


def test_examples_found():
    assert len(EXAMPLES) == 4, EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_parse_check_compile(benchmark, path):
    """check_file + generate + compile_program, on a fresh parse each round
    (compile_program caches per ruleset object)."""
    def pipeline():
        result = check_file(path)
        assert result.ok
        generate(result.ruleset)
        return compile_program(result.ruleset)

    pipeline()      # one-time costs (grammar load, imports) stay out of the rounds
    program = benchmark(pipeline)
    assert "def evaluate(" in program.source


@pytest.fixture(scope="module")
def telecom():
    """The telecom example with percent_rank's statistic computed once over a
    seeded population of POPULATION customers, then passed in as `stats`."""
    path = next(p for p in EXAMPLES if p.stem == "telecom")
    rs = check_file(path).ruleset
    params = resolve_params(rs)
    program = compile_program(rs)
    records = macro.generate(random.Random(7), 0, POPULATION)
    customers = [Customer(r["customer_id"], r, {}, i + 1) for i, r in enumerate(records)]
    stats = compute_stats(program, customers, params, {})
    return program, params, stats, records[:BATCH]


def test_evaluate_telecom_example(benchmark, telecom):
    program, params, stats, records = telecom
    out = benchmark(macro.run_generated_s, program, records, params, stats)
    assert len(out) == BATCH and len(out[0]) == 5


@pytest.fixture(scope="module")
def bench_rules():
    rs = check_file(macro.RULES).ruleset
    params = resolve_params(rs)
    records = macro.generate(random.Random(7), 0, BATCH)
    return compile_program(rs), params, records


def test_evaluate_telecom_bench_generated(benchmark, bench_rules):
    program, params, records = bench_rules
    out = benchmark(macro.run_generated, program, records, params)
    assert out == macro.run_hand(macro.hand_segment, records)


def test_evaluate_telecom_bench_hand_written(benchmark, bench_rules):
    _, _, records = bench_rules
    out = benchmark(macro.run_hand, macro.hand_segment, records)
    assert len(out) == BATCH
