"""The vector form (backends/vector.py) node by node: every kind of node it covers, on
customers chosen for the edges (nulls in every field, equal bounds, empty texts, a
`first` dimension with no segment), gives the generated `evaluate`'s segments; values
it cannot compute as Python does make the batch Inexact; what it has no form for gives None."""
from __future__ import annotations

import datetime as dt

import pytest

from segdsl.backends.python import compile_program
from segdsl.backends.vector import Inexact, compile_vector, unsupported
from segdsl.passes import build_plan
from segdsl.service.params import resolve_params
from tests.helpers import arrow_columns as arrays, ruleset

RULES = '''
ruleset v
param as_of: date = 2026-11-01
param floor: number = 2.5
input customer key id {
  id: string
  n: int?
  x: number?
  plan: enum { basic "B", gold "G", vip "V" }?
  name: string?
  joined: date?
  flag: bool?
}
let half = x / n
let total = coalesce(n, 0) * 3 + 1
let band = case when n >= 10 then "big" when n >= 0 then "small" else "neg" end
let age = days_between(joined, as_of)
dimension level first {
  segment none_yet when n is null
  segment top when n between 10 and 20
  segment out when n not between -5 and 50
}
dimension mix all {
  segment a when not (x > floor)
  segment b when n in [1, 2, 3] or x in [1.5, 2]
  segment c when n not in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
  segment d when plan in [gold, vip]
  segment e when plan not in [basic]
  segment f when plan != gold
  segment g when level = top or level != out
  segment h when level in [top, none_yet]
  segment i when level is null
  segment j when level not in [out]
  segment k when flag and not flag = false
  segment l when flag or x is not null
  segment m when half > 0.5 and total > 4
  segment n2 when band = "small" and age < 100
  segment o when length(name) = 3 or trim(name) = "ab" or starts_with(name, "z") or contains(name, "é")
  segment u when starts_with(name, band) or ends_with("smallest", name) or contains(name, name)
  segment p when ends_with(name, "") and year(joined) = 2026 and month(joined) >= 6 and day(joined) != 1
  segment q when -n < 0 and abs(x) >= 1 and n = x
  segment r when not (n > 3 and x < 2) or name is null
  segment s when not (n > 100 or x > 100)
  segment t when not (n in [1, x])
}
dimension tagged first {
  segment has_d when d in mix and a not in mix
  segment lacks_b when not (b in mix)
  segment some when [] != mix and mix != [] and n > 2
  otherwise rest
}
'''

PEOPLE = [
    {"id": "a", "n": None, "x": None, "plan": None, "name": None, "joined": None, "flag": None},
    {"id": "b", "n": 15, "x": 15.0, "plan": "gold", "name": "abc", "joined": dt.date(2026, 8, 12), "flag": True},
    {"id": "c", "n": 60, "x": 0.5, "plan": "basic", "name": " ab ", "joined": dt.date(2026, 1, 1), "flag": False},
    {"id": "d", "n": 2, "x": 1.5, "plan": "vip", "name": "", "joined": dt.date(2025, 12, 31), "flag": None},
    {"id": "e", "n": -6, "x": -2.0, "plan": None, "name": "zoé", "joined": dt.date(2026, 10, 31), "flag": True},
    {"id": "f", "n": 0, "x": 0.0, "plan": "gold", "name": "z", "joined": dt.date(2026, 11, 1), "flag": False},
    {"id": "g", "n": 10, "x": None, "plan": "vip", "name": "中文字", "joined": dt.date(2026, 7, 2), "flag": None},
    {"id": "h", "n": 3, "x": 3.0, "plan": "basic", "name": "ab", "joined": None, "flag": True},
]


def both(tmp_path, text, records):
    rs = ruleset(tmp_path, text)
    plan = build_plan(rs)
    params = resolve_params(rs)
    program, vector = compile_program(plan), compile_vector(plan)
    assert vector is not None, unsupported(plan)
    want = [program.evaluate(r, {}, params, [], {}) for r in records]
    got = vector.evaluate(arrays(rs, records, vector.fields), len(records), params)
    return want, [tuple(v) for v in zip(*got)]


def test_every_node_kind_gives_the_generated_codes_segments(tmp_path):
    want, got = both(tmp_path, RULES, PEOPLE)
    assert got == want
    # the cases are not vacuous: the edges are reached
    assert {w[0] for w in want} == {"none_yet", "top", "out", None}
    tags = {t for w in want for t in w[1]}
    assert tags == set("abcdefghijklmopqrstu") | {"n2"}, tags
    assert {w[2] for w in want} == {"has_d", "lacks_b", "some", "rest"}


def test_one_customer_at_a_time_and_none(tmp_path):
    for one in PEOPLE:
        want, got = both(tmp_path, RULES, [one])
        assert got == want, one["id"]
    want, got = both(tmp_path, RULES, [])
    assert got == want == []


DATES = '''
ruleset dates
param as_of: date = 2026-11-01
input customer key id { id: string  d: date?  t: datetime?  k: int?  s: string? }
dimension moved all {
  segment later when add_days(d, k) > as_of
  segment shifted when d + 30 days = 2026-12-01 or d - 10 days < 0001-01-05
  segment beyond when add_days(d, k) is null and d is not null and k is not null
  segment stamp when add_days(t, k) >= 2026-01-01T12:00:00 or t + 1 days > t
  segment mixed when d between t and as_of or t = d
  segment since when days_between(t, d) > 0 or year(t) = 1969 or month(t) = 12 or day(t) = 31
  segment shout when upper(s) = "ABC" or lower(s) = "abc"
}
'''

MOMENTS = [
    {"id": "a", "d": None, "t": None, "k": None, "s": None},
    {"id": "b", "d": dt.date(2026, 11, 1), "t": dt.datetime(2026, 11, 1, 0, 0), "k": 1, "s": "aBc"},
    {"id": "c", "d": dt.date(9999, 12, 30), "t": dt.datetime(9999, 12, 31, 23, 59), "k": 5, "s": "xyz"},
    {"id": "d", "d": dt.date(1, 1, 3), "t": dt.datetime(1969, 12, 31, 23, 30), "k": -5, "s": "ABC"},
    {"id": "e", "d": dt.date(2026, 11, 1), "t": dt.datetime(1, 1, 1, 0, 0, 1), "k": 2 ** 62, "s": ""},
    {"id": "f", "d": dt.date(1970, 1, 1), "t": dt.datetime(1970, 1, 1, 12), "k": -3652059, "s": None},
    {"id": "g", "d": dt.date(2026, 10, 31), "t": dt.datetime(2026, 10, 31, 23, 59, 59, 999999), "k": 0, "s": "AbC"},
]


def test_dates_moved_mixed_and_taken_apart(tmp_path):
    """Dates and datetimes moved by days (null outside years 1 to 9999, or for a step beyond
    their span), a date meeting a datetime, a datetime's calendar date, case mapping of ASCII."""
    want, got = both(tmp_path, DATES, MOMENTS)
    assert got == want
    assert {t for w in want for t in w[0]} == {"later", "shifted", "beyond", "stamp", "mixed", "since", "shout"}


def test_case_mapping_beyond_ascii_makes_the_batch_inexact(tmp_path):
    """`'ß'.upper()` is `SS` in Python, not in Arrow: such a batch goes to the generated code."""
    rs = ruleset(tmp_path, DATES)
    vector = compile_vector(build_plan(rs))
    row = dict(MOMENTS[1], s="straße")
    with pytest.raises(Inexact):
        vector.evaluate(arrays(rs, [row], vector.fields), 1, resolve_params(rs))


BIG = '''
ruleset big
input customer key id { id: string  n: int  x: number }
let sum = n + n
dimension d first {
  segment near when n = x
  segment twice when sum > 0
  otherwise other
}
'''


@pytest.mark.parametrize("n, x", [(2 ** 53 + 1, 1.0), (2 ** 62, 1.0)])
def test_a_value_arrow_would_round_or_overflow_makes_the_batch_inexact(tmp_path, n, x):
    """Python compares a whole number beyond 2**53 with a double exactly and gives null for
    a sum beyond 64 bits; Arrow would round or raise, so the batch goes to the generated code."""
    rs = ruleset(tmp_path, BIG)
    vector = compile_vector(build_plan(rs))
    with pytest.raises(Inexact):
        vector.evaluate(arrays(rs, [{"id": "a", "n": n, "x": x}], vector.fields), 1, {})
    small = vector.evaluate(arrays(rs, [{"id": "a", "n": 3, "x": 3.0}], vector.fields), 1, {})
    assert small == [["near"]]


@pytest.mark.parametrize("text, why", [
    ("dimension d all { segment a when n > 1 }\ndimension e first { segment b when d = [a] }", "all dimension"),
    ("dimension d first { segment a when percent_rank(n) > 0.5 }", "population"),
])
def test_what_it_has_no_form_for_gives_none(tmp_path, text, why):
    rs = ruleset(tmp_path, 'ruleset w\ninput customer key id { id: string  n: int  s: string  j: date }\n' + text)
    plan = build_plan(rs)
    assert compile_vector(plan) is None and why in unsupported(plan)


def test_dimensions_of_many_segments(tmp_path):
    """Past the tables' size (12 segments) a `first` dimension picks with numpy's `where`
    and an `all` dimension's combinations are found in the batch; 64 tags still fit."""
    many = "\n".join(f"  segment s{i} when n >= {(13 - i) * 3}" for i in range(14))
    tags = "\n".join(f"  segment t{i} when n >= {i * 3}" for i in range(64))
    text = f'''
ruleset many
input customer key id {{ id: string  n: int? }}
dimension pick first {{
{many}
  otherwise none
}}
dimension tags all {{
{tags}
}}
dimension again first {{
  segment high when pick in [s12, s13] and t63 not in tags
  segment top when t63 in tags
}}
'''
    records = [{"id": str(n), "n": n} for n in (None, -1, 0, 5, 12, 13, 40, 189, 200)]
    want, got = both(tmp_path, text, records)
    assert got == want
    assert {w[0] for w in want} >= {"none", "s0", "s9", "s12", "s13"} and len(want[-1][1]) == 64
    assert {w[2] for w in want} == {"high", "top", None}


UNIQUE = '''
ruleset u
input customer key id { id: string  n: int? }
dimension one unique {
  segment small when n < 5
  segment odd when n in [7, 9, 11]
  otherwise rest
}
dimension next first {
  segment from_small when one = small
  segment from_none when one = rest
}
'''


def test_a_unique_dimension_without_a_conflict_and_with_one(tmp_path):
    records = [{"id": str(n), "n": n} for n in (None, 1, 7, 8)]
    want, got = both(tmp_path, UNIQUE, records)
    assert got == want == [("rest", "from_none"), ("small", "from_small"), ("odd", None), ("rest", "from_none")]
    rs = ruleset(tmp_path, UNIQUE.replace("[7, 9, 11]", "[1, 7]"))
    vector = compile_vector(build_plan(rs))
    with pytest.raises(Inexact):         # customer 1 is in both: the generated code words the conflict
        vector.evaluate(arrays(rs, records, vector.fields), len(records), {})


def test_no_tags_at_all(tmp_path):
    text = '''
ruleset t
input customer key id { id: string  n: int? }
dimension tags all {
  segment big when n > 10
  segment odd when n in [1, 3]
}
dimension count first {
  segment none when tags = []
  segment some when [] != tags
}
'''
    records = [{"id": str(n), "n": n} for n in (None, 1, 5, 20)]
    want, got = both(tmp_path, text, records)
    assert got == want == [((), "none"), (("odd",), "some"), ((), "none"), (("big",), "some")]
