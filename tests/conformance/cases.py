"""Conformance case files: a rule text, data rows and the segments every
engine must give, written by hand from LANGUAGE.md.

A case is a TOML file (the standard library reads it, so no new
dependency), shaped like this:

    title = "what the case pins down"
    engines = ["interp", "python"]     # optional: the engines that must run it
                                       # (default: all); others may say NotSupported
    rules = '''
    ruleset t
    input customer key id { id: string  age: int? }
    dimension d first { segment old when age >= 60  otherwise other }
    '''
    [params]                           # optional overrides, as --param text
    as_of = "2026-12-01"

    [[data.customer]]                  # rows of each input, by input name, as the
    id = "a"                           # data holds them: data column names, enum
    age = 61                           # data values; a key left out is missing
    [[data.customer]]
    id = "b"

    [expect]                           # every customer, every dimension;
    a = { d = "old" }                  # "null" = no segment, [..] for `all`,
    b = { d = "other" }                # "CONFLICT" for two `unique` matches
                                       # (then only the conflicting dimensions)
    [xfail]                            # optional: engine = "why it disagrees"
    duckdb = "..."

Rows go through the real row validator (io/validate.py), so defaults, enum
data values and number coercion are the engines' own. A keyless input's
customers are expected by row number ("1", "2", ...).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segdsl import ir
from segdsl.runtime.customers import Customer
from segdsl.check.frontend import check_file
from segdsl.io.readers import RawRow
from segdsl.io.validate import RowValidator
from segdsl.service.params import resolve_params
from tests.engines_under_test import CONFLICT, ENGINES

CASES_DIR = Path(__file__).parent / "cases"
_KEYS = {"title", "engines", "rules", "params", "data", "expect", "xfail"}


class CaseError(Exception):
    """The case file itself is wrong (not an engine): fix the case."""


@dataclass(frozen=True)
class Case:
    path: Path
    title: str
    rules: str
    data: dict[str, list[dict]]
    params: dict[str, str]
    expect: dict[str, dict[str, Any]]
    engines: tuple[str, ...] | None
    xfail: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem

    def must_run(self, engine: str) -> bool:
        return self.engines is None or engine in self.engines


def load(path: Path) -> Case:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    unknown = set(raw) - _KEYS
    if unknown:
        raise CaseError(f"{path.name}: unknown keys {sorted(unknown)}")
    for k in ("title", "rules", "expect"):
        if k not in raw:
            raise CaseError(f"{path.name}: `{k}` is required")
    engines = tuple(raw["engines"]) if "engines" in raw else None
    for e in list(engines or ()) + list(raw.get("xfail", {})):
        if e not in ENGINES:
            raise CaseError(f"{path.name}: unknown engine {e!r} (engines: {', '.join(ENGINES)})")
    return Case(path, raw["title"], raw["rules"], raw.get("data", {}),
                {k: str(v) for k, v in raw.get("params", {}).items()},
                raw["expect"], engines, dict(raw.get("xfail", {})))


def all_cases() -> list[Case]:
    return [load(p) for p in sorted(CASES_DIR.glob("*.toml"))]


@dataclass(frozen=True)
class Built:
    ruleset: ir.Ruleset
    population: list[Customer]
    params: dict
    expected: dict[str, dict[str, Any]]     # str(customer key) → dimension → value


def _records(schema: ir.InputSchema, rows: list[dict], where: str) -> list[dict]:
    validator = RowValidator(schema)
    out = []
    for i, values in enumerate(rows, 1):
        record, reason = validator.convert(RawRow(row=i, line=None, values=values))
        if record is None:
            raise CaseError(f"{where}: row {i} of `{schema.name}` is bad input: {reason}")
        out.append(record)
    return out


def _population(rs: ir.Ruleset, data: dict[str, list[dict]], where: str) -> list[Customer]:
    names = ({rs.customer.name} if rs.customer else set()) | {r.name for r in rs.related}
    if set(data) - names:
        raise CaseError(f"{where}: data for unknown inputs {sorted(set(data) - names)}")
    related = {r.name: _records(r, data.get(r.name, []), where) for r in rs.related}
    if rs.customer is not None:
        records = _records(rs.customer, data.get(rs.customer.name, []), where)
        key = rs.customer.key
        customers = [Customer(key=rec[key] if key else f"r{i}", record=rec, rows={}, row=i)
                     for i, rec in enumerate(records, 1)]
    else:
        keys: dict = {}
        for r in rs.related:
            for rec in related[r.name]:
                keys.setdefault(rec[r.key], None)
        customers = [Customer(key=k, record={}, rows={}, row=i) for i, k in enumerate(keys, 1)]
    by_key = {c.key: c for c in customers}
    for r in rs.related:
        for c in customers:
            c.rows[r.name] = []
        for rec in related[r.name]:
            c = by_key.get(rec[r.key])
            if c is not None:               # orphans are ignored, as in the engines
                c.rows[r.name].append(rec)
    return customers


def _expected_value(d: ir.Dimension, v: Any, where: str):
    if v == CONFLICT:
        if d.policy != "unique":
            raise CaseError(f"{where}: CONFLICT only happens in a `unique` dimension, `{d.name}` is {d.policy}")
        return CONFLICT
    names = [s.name for s in d.all_segments()]
    if d.policy == "all":
        if not isinstance(v, list) or any(x not in names for x in v):
            raise CaseError(f"{where}: `{d.name}` is an `all` dimension: expect a list of {names}")
        return tuple(v)
    if v == "null":
        return None
    if v not in names:
        raise CaseError(f"{where}: {v!r} is not a segment of `{d.name}` ({names})")
    return v


_BUILT: dict[Path, Built] = {}


def build(case: Case) -> Built:
    """Checked once per case file; every engine run of the case shares it."""
    if case.path not in _BUILT:
        _BUILT[case.path] = _build(case)
    return _BUILT[case.path]


def _build(case: Case) -> Built:
    where = case.path.name
    result = check_file(case.path.with_suffix(".seg"), text=case.rules)
    if not result.ok:
        errors = [f"{d.code} {d.span}: {d.message}" for d in result.diagnostics if d.is_error]
        raise CaseError(f"{where}: the rules do not check: {errors}")
    rs = result.ruleset
    population = _population(rs, case.data, where)
    keys = [str(c.row if rs.customer is not None and not rs.customer.key else c.key) for c in population]
    if sorted(case.expect) != sorted(keys):
        raise CaseError(f"{where}: [expect] names {sorted(case.expect)}, the customers are {sorted(keys)}")
    expected = {}
    for k, dims in case.expect.items():
        conflict = CONFLICT in dims.values()
        wanted = {d.name for d in rs.dimensions}
        if not conflict and set(dims) != wanted:
            raise CaseError(f"{where}: customer {k} must expect every dimension {sorted(wanted)}; got {sorted(dims)}")
        out = {}
        for name, v in dims.items():
            d = rs.dimension(name)
            if d is None:
                raise CaseError(f"{where}: unknown dimension {name!r}")
            out[name] = _expected_value(d, v, where)
        if conflict and any(v != CONFLICT for v in out.values()):
            raise CaseError(f"{where}: customer {k}: with a CONFLICT, expect only the conflicting dimensions")
        expected[k] = out
    return Built(rs, population, resolve_params(rs, case.params), expected)
