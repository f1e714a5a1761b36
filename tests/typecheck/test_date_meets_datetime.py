"""A date meeting a datetime is midnight of that date: the checker converts it in the IR,
wherever the two meet, so no backend ever compares a date with a datetime."""
from __future__ import annotations

import datetime as dt

import pytest

from segdsl import ir
from segdsl.types import Kind
from tests.helpers import ruleset, segment_both

_HEAD = '''
ruleset t
input customer key id { id: string  d: date?  ts: datetime? }
'''


def _kinds_meeting(rs) -> list[set]:
    """For every place where values meet (compare, between, in, case branches), the kinds that meet there."""
    out = []
    exprs = [l.expr for l in rs.definitions if isinstance(l, ir.Let)]
    exprs += [s.condition for d in rs.dimensions for s in d.segments if s.condition is not None]
    for e in exprs:
        for x in ir.walk(e):
            if isinstance(x, ir.Compare):
                out.append({x.left.type.kind, x.right.type.kind})
            elif isinstance(x, ir.Between):
                out.append({x.operand.type.kind, x.low.type.kind, x.high.type.kind})
            elif isinstance(x, ir.InList):
                out.append({x.operand.type.kind} | {i.type.kind for i in x.items})
            elif isinstance(x, ir.Case):
                out.append({v.type.kind for _, v in x.whens} | ({x.else_.type.kind} if x.else_ else set()))
    return out


@pytest.mark.parametrize("condition", [
    "d between 2026-01-01T00:00:00 and 2026-01-31",
    "d between 2026-01-01 and 2026-01-31T12:00:00",
    "d not between ts and 2026-01-31",
    "2026-01-05 between d and ts",
    "d in [2026-01-01T00:00:00, 2026-02-01]",
    "ts in [2026-01-01, d]",
    "d not in [ts]",
    "(case when d > 2026-01-01 then d else ts end) > 2026-01-01",
    "(case when d > 2026-01-01 then ts when d is null then 2026-01-01 end) = d",
    "coalesce(d, ts) = d",
])
def test_dates_and_datetimes_never_meet_unconverted(tmp_path, condition):
    rs = ruleset(tmp_path, _HEAD + f"dimension x first {{ segment a when {condition} otherwise b }}\n")
    meetings = _kinds_meeting(rs)
    assert meetings and all(kinds != {Kind.DATE, Kind.DATETIME} for kinds in meetings), meetings


def test_the_date_is_midnight_on_both_engines(tmp_path):
    rs = ruleset(tmp_path, _HEAD + '''
let last = case when d > 2026-01-01 then d else ts end
dimension b first { segment inside when d between 2026-01-01T00:00:00 and 2026-01-31 otherwise outside }
dimension i first { segment yes when d in [ts, 2026-02-01T12:00:00] otherwise no }
dimension c first { segment midnight when last = 2026-02-15T00:00:00 otherwise other }
''')
    got = segment_both(rs, [
        {"id": "1", "d": dt.date(2026, 2, 15), "ts": dt.datetime(2026, 2, 15)},
        {"id": "2", "d": dt.date(2026, 1, 31), "ts": dt.datetime(2026, 1, 31, 12)},
        {"id": "3", "d": None, "ts": dt.datetime(2026, 2, 15)},
    ])
    assert got == [{"b": "outside", "i": "yes", "c": "midnight"},
                   {"b": "inside", "i": "no", "c": "other"},
                   {"b": "outside", "i": "no", "c": "midnight"}]
