"""The solver analysis on random rule files: every witness is a customer the reference interpreter
runs and it shows what the message says, and no "never" is false.

For each generated file (tests/property/rulesets.py, population functions included):
* an overlap's witness matches both segments named, in the interpreter, and the dimension's
  value for it is a conflict; a gap's witness matches no segment and gets no segment;
* a segment said never to match (SEG404/SEG406) is not reached by any customer of a random
  population, nor is a gap or an overlap found there when the analysis said there is none,
  and a comparison said always true (false) is never false (true) for them.

The count of files analysed is printed with the property counts.
"""
from __future__ import annotations

from functools import partial

from hypothesis import given, settings
from hypothesis import strategies as st

from segdsl.analysis.dimensions import findings
from segdsl.backends.interp import Interpreter
from segdsl.runtime.customers import UniqueConflict
from segdsl.service.params import resolve_params
from segdsl.service.witnesses import WitnessInterpreter, confirm
from tests.property.conftest import count
from tests.property.rulesets import POPULATION_PYTHON_SIDE, PYTHON_SIDE, rulesets
from tests.property.test_random_rulesets import SETTINGS, checked, examples, populations

BUDGET = 10.0     # seconds per dimension: ample for a generated file, so that a loaded machine changes nothing


def witness_claims(rs, found) -> None:
    for f in found:
        if f.witness is None:
            continue
        interp = WitnessInterpreter(rs, f.witness)
        customer = f.witness.customer()
        env = interp.run([customer])[0]
        d = rs.dimension(f.dimension)
        truth = {s.name: interp.eval(s.condition, customer, env, None) for s in d.segments}
        if f.kind == "overlap":
            assert all(truth[s] is True for s in f.segments), (f.diagnostic.message, truth)
            assert isinstance(env[d.name], UniqueConflict)
        else:
            assert f.kind == "gap"
            assert not [s for s, t in truth.items() if t is True], (f.diagnostic.message, truth)
            assert env[d.name] is None
        count("witnesses")


def never_claims(rs, found, population) -> None:
    """What the analysis proved, against the customers of a random population."""
    params = resolve_params(rs)
    interp = Interpreter(rs, params)
    envs = interp.run(population)
    by_dim = {}
    for f in found:
        by_dim.setdefault(f.dimension, []).append(f)
    for d in rs.dimensions:
        mine = by_dim.get(d.name, [])
        if any(f.kind == "not_analysed" for f in mine):
            continue
        never = {f.segments[0]: f.diagnostic.code for f in mine if f.kind == "never"}
        decided = [f for f in mine if f.kind in ("always_true", "always_false")]
        for customer, env in zip(population, envs):
            for f in decided:
                value = interp.eval(f.part, customer, env, None)
                assert value is not (f.kind == "always_false"), (f.diagnostic.message, customer.record)
            for s in d.segments:
                if s.name not in never:
                    continue
                if never[s.name] == "SEG406":
                    assert interp.eval(s.condition, customer, env, None) is not True, (s.name, customer.record)
                elif d.policy == "first":
                    assert env[d.name] != s.name, (s.name, customer.record)
            if d.policy in ("first", "unique") and d.otherwise is None and not any(f.kind == "gap" for f in mine):
                assert env[d.name] is not None, ("no gap was found", d.name, customer.record)
            if d.policy == "unique" and not any(f.kind == "overlap" for f in mine):
                assert not isinstance(env[d.name], UniqueConflict), ("no overlap was found", d.name)


def analyse_and_check(data, features) -> None:
    rs = checked(data.draw(rulesets(features), label="rule file"))
    found = findings(rs, partial(confirm, rs), budget=BUDGET)
    witness_claims(rs, found)
    never_claims(rs, found, data.draw(populations(rs), label="population"))
    count("analysed")
    count("not_analysed", sum(f.kind == "not_analysed" for f in found))


@settings(max_examples=examples(200), **SETTINGS)
@given(data=st.data())
def test_witnesses_and_never_claims_hold(data):
    analyse_and_check(data, PYTHON_SIDE)


@settings(max_examples=examples(100), **SETTINGS)
@given(data=st.data())
def test_witnesses_and_never_claims_hold_with_population_values(data):
    analyse_and_check(data, POPULATION_PYTHON_SIDE)
