"""Param values: text (`--param k=v`, or a string given to the API) → typed values.

Wrong values are Problems at `param` (engines/errors.py), worded by the CLI
with its flag; the Python API passes its own words (ParamErrors) and reads a
bad value's detail from the Problem."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .. import ir
from ..check.literals import number_problem
from ..engines.errors import fail
from ..types import Kind


def parse_value(p: ir.ParamDecl, text: str):
    """The value of `text` for param p; a number must be one the rule file could hold (finite,
    whole numbers within 64 bits: check/literals.py), so no engine or dialect meets another."""
    value = _parse(p, text)
    problem = number_problem(value)
    if problem is not None:
        raise fail("bad-param", "param", f"{p.name}={text}", f"`{p.name}` needs {_WANT[p.type.kind]}; "
                   f"`{text.strip()}` is {problem}", usage=True)
    return value


_WANT = {Kind.INT: "a whole number", Kind.NUMBER: "a number", Kind.BOOL: "true or false",
         Kind.DATE: "a date YYYY-MM-DD", Kind.DATETIME: "a date and time YYYY-MM-DDTHH:MM:SS"}


def _parse(p: ir.ParamDecl, text: str):
    k = p.type.kind
    t = text.strip()
    try:
        if k is Kind.INT:
            return int(t)
        if k is Kind.NUMBER:
            return float(t[:-1]) / 100 if t.endswith("%") else float(t)
        if k is Kind.BOOL:
            if t.lower() in ("true", "false"):
                return t.lower() == "true"
            raise ValueError
        if k is Kind.DATE:
            return dt.date.fromisoformat(t)
        if k is Kind.DATETIME:
            return dt.datetime.fromisoformat(t)
        if k is Kind.ENUM:
            if p.type.enum.member(t) is None:
                raise ValueError
            return t
        return text
    except ValueError:
        want = "one of " + ", ".join(m.name for m in p.type.enum.members) if k is Kind.ENUM else _WANT[k]
        raise fail("bad-param", "param", f"{p.name}={text}", f"`{p.name}` needs {want}", usage=True) from None


@dataclass(frozen=True)
class ParamErrors:
    """The words and the exception type of the two ways a set of params is wrong, as each caller
    (the command line, the Python API) says them in its own terms."""
    unknown: Callable[[str, str | None], Exception]     # (name, did-you-mean hint or None)
    missing: Callable[[str], Exception]                 # (name of a param without default or value)


PROBLEMS = ParamErrors(
    unknown=lambda name, hint: fail("unknown-param", "param", name, f"the ruleset has no param `{name}`"
                                    + (f"; {hint}" if hint else ""), usage=True),
    missing=lambda name: fail("missing-param", "param", name, f"`{name}` has no default", usage=True))


def resolve_params(ruleset: ir.Ruleset, overrides: Mapping[str, Any] | None = None,
                   read: Callable[[ir.ParamDecl, Any], Any] = parse_value,
                   errors: ParamErrors = PROBLEMS) -> dict:
    """Every param's value: its default, unless overridden; `read` turns an override into a value."""
    values = {p.name: p.default for p in ruleset.params if p.has_default}
    for name, given in (overrides or {}).items():
        p = ruleset.param(name)
        if p is None:
            from ..diagnostics.suggest import did_you_mean     # rapidfuzz: only for a wrong name
            raise errors.unknown(name, did_you_mean(name, [q.name for q in ruleset.params]))
        values[name] = read(p, given)
    missing = [p.name for p in ruleset.params if p.name not in values]
    if missing:
        raise errors.missing(missing[0])
    return values


def parse_assignments(items: list[str]) -> dict[str, str]:
    out = {}
    for it in items:
        if "=" not in it:
            raise fail("bad-assignment", "param", it, "write NAME=VALUE", usage=True)
        k, v = it.split("=", 1)
        out[k.strip()] = v
    return out
