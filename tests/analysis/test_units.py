"""A dimension read by another is translated once per file (analysis/units.py): the reading
dimension's translator replays it, and ends with the very terms, leaves, facts and declared ranges,
in the same order, that translating everything anew gives."""
from __future__ import annotations

from functools import partial

import pytest

from segdsl.analysis.always import parts
from segdsl.analysis.dimensions import findings
from segdsl.analysis.solver import Translator
from segdsl.check.frontend import check_file
from segdsl.service.witnesses import confirm

RULES = """ruleset t
input customer key id {
  id: string
  age: int? in 0..120
  spend: number in 0..100000
  tier: enum { gold, silver, bronze }?
}
let rank = percent_rank(spend)
let old = age >= 60
dimension life first {
  segment senior when old and rank >= 50%
  segment adult when age >= 18
  otherwise young
}
dimension value unique {
  segment top when rank >= 90% and life in [senior, adult]
  segment mid when rank between 50% and 90% and tier = gold
  otherwise rest
}
dimension mix first {
  segment a when value in [top] and life = senior
  segment b when value = mid and age < 30 and old
  otherwise o
}
"""


@pytest.fixture
def ruleset(tmp_path):
    p = tmp_path / "rules.seg"
    p.write_text(RULES, encoding="utf-8")
    result = check_file(p)
    assert result.ok, result.diagnostics
    return result.ruleset


def translated(tr: Translator, d) -> list:
    """Each condition, then each part of it, as the checks ask for them."""
    out = [tr.condition(d, s) for s in d.segments]
    return out + [tr.truth(x) for s in d.segments for x in parts(s.condition)]


def test_a_replayed_dimension_is_what_translating_it_anew_gives(ruleset):
    units: dict = {}
    for d in ruleset.dimensions:
        shared, fresh = Translator(ruleset, {}, units), Translator(ruleset, {})
        for a, b in zip(translated(shared, d), translated(fresh, d), strict=True):
            assert a.true.eq(b.true) and a.false.eq(b.false), d.name
        assert list(shared.leaves) == list(fresh.leaves)
        assert all(x.val.eq(y.val) and x.null.eq(y.null) for x, y in zip(shared.leaves.values(), fresh.leaves.values()))
        assert len(shared.facts) == len(fresh.facts) and all(x.eq(y) for x, y in zip(shared.facts, fresh.facts))
        assert [w for w, _ in shared.ranges] == [w for w, _ in fresh.ranges]
        assert all(x.eq(y) for (_, x), (_, y) in zip(shared.ranges, fresh.ranges))
    assert ("dimension", "life") in units and ("let", "rank") in units


def test_the_findings_of_dimensions_that_read_each_other(ruleset):
    """What the analysis said before dimensions shared their translations. Which customer a
    witness names is the solver's choice among many (`life` is `senior` or `adult` here)."""
    found = findings(ruleset, partial(confirm, ruleset), budget=60.0, file_budget=600.0)
    assert [(f.diagnostic.code, f.dimension, f.segments) for f in found] == [
        ("SEG307", "value", ("top", "mid")), ("SEG406", "mix", ("b",))]
    assert found[1].diagnostic.message == "segment `b` can never match: its condition can never be true, for any customer"
