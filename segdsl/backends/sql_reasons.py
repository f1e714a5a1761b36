"""The `_reason` column of compiled warehouse SQL (`compile --target sql --reasons`): for each
customer row, why the engines would call it a bad row, or NULL.

A warehouse table is typed already, so the checks are the ones a typed value can fail: a
required field that is missing (NULL, or empty text), an enum's data value outside its
list, a value outside the field's declared range, and a key that more than one row holds.
The compiled SQL reads an enum's data values exactly, so a padded one (`" Silver"`, which
the engines read as `Silver`) reads as NULL there and gets a reason here.
The words are the shared validator's (io/validate.py), each field's reasons joined by "; "
as it joins them; a value is shown as the warehouse prints it (`CAST(... AS VARCHAR)`), and
a repeated key names no first row, since a table has no row order. The rows are still
segmented (an enum value outside the list reads as NULL there, as without the column):
`WHERE _reason IS NULL` keeps what the engines would keep, except that they keep the
first row of a repeated key.
"""
from __future__ import annotations

from sqlglot import exp

from .. import ir
from ..io.validate import list_values, range_text
from ..types import Kind
from .sql import col, literal, without_missing

REASON = "_reason"


def reason_column(schema: ir.InputSchema) -> exp.Expression:
    """Why a row of the customer input is bad, or NULL: one expression over its data columns."""
    parts: list[exp.Expression] = []
    for f in schema.fields:
        parts += _field_reasons(f)
    if schema.key is not None:
        key = next(f for f in schema.fields if f.name == schema.key)
        repeated = exp.GT(this=exp.Window(this=exp.Count(this=exp.Star()), partition_by=[col(key.column)]),
                          expression=exp.Literal.number(1))
        parts.append(_when(exp.and_(exp.Not(this=exp.Is(this=col(key.column), expression=exp.Null())), repeated),
                           _text(f"key {schema.key} = "), _shown(col(key.column), key.type.kind),
                           _text(" appears more than once")))
    if not parts:
        return exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR"))
    # "; " before each reason, then the first one cut: CONCAT_WS would do it, but dialects
    # differ in how it treats NULL (and sqlglot writes it out by the strictest)
    joined = exp.Concat(expressions=[exp.Coalesce(this=p, expressions=[_text("")]) for p in parts])
    return exp.Nullif(this=exp.Substring(this=joined, start=exp.Literal.number(3)), expression=_text(""))


def _field_reasons(f: ir.FieldSchema) -> list[exp.Expression]:
    kind = f.type.kind
    raw = without_missing(f, col(f.column))
    who = f.name if f.column == f.name else f'{f.name} (column "{f.column}")'
    out = []
    if f.required:
        missing = exp.Is(this=raw.copy(), expression=exp.Null())
        if kind in (Kind.STRING, Kind.ENUM):
            missing = exp.or_(missing, exp.EQ(this=_varchar(raw), expression=_text("")))
        said = (f"missing required field '{f.name}'" if f.column == f.name
                else f'missing required field \'{f.name}\' (column "{f.column}")')
        out.append(_when(missing, _text(said)))
    if kind is Kind.ENUM:
        values = [m.value for m in f.type.enum.members]
        outside = exp.and_(exp.Not(this=exp.Is(this=raw.copy(), expression=exp.Null())),
                           exp.NEQ(this=_varchar(raw), expression=_text("")),
                           exp.Not(this=exp.In(this=raw.copy(), expressions=[_text(v) for v in values])))
        out.append(_when(outside, _text(f"{who} = "), _shown(raw, kind),
                         _text(f" is not one of {list_values(values)}"),
                         _case_hint(raw, values)))
    if f.low is not None or f.high is not None:
        bounds = [exp.LT(this=raw.copy(), expression=literal(f.low, kind))] if f.low is not None else []
        bounds += [exp.GT(this=raw.copy(), expression=literal(f.high, kind))] if f.high is not None else []
        out.append(_when(exp.or_(*bounds), _text(f"{who} = "), _shown(raw, kind),
                         _text(f" is out of range {range_text(f.low, f.high)}")))
    return out


def _case_hint(raw: exp.Expression, values: list[str]) -> exp.Expression:
    """The validator's hint for a value that differs from one in the list only in letter case."""
    folded = exp.Lower(this=exp.Trim(this=_varchar(raw)))
    hints = [exp.If(this=exp.EQ(this=folded.copy(), expression=_text(v.lower())),
                    true=_text(f" (values are case-sensitive: {list_values([v])}?)")) for v in values]
    return exp.Case(ifs=hints, default=_text("")) if hints else _text("")


def _when(condition: exp.Expression, *texts: exp.Expression) -> exp.Expression:
    """"; " and the reason's text where `condition` holds, else NULL."""
    return exp.Case(ifs=[exp.If(this=condition, true=exp.Concat(expressions=[_text("; "), *texts]))])


def _varchar(value: exp.Expression) -> exp.Expression:
    """A column as text, whatever the warehouse stores it as (an enum of Yes/No may be BOOLEAN)."""
    return exp.Cast(this=value.copy(), to=exp.DataType.build("VARCHAR"))


def _shown(value: exp.Expression, kind: Kind) -> exp.Expression:
    """A value as a reason shows it: text in quotes (as the validator's repr), others as printed."""
    text = exp.Cast(this=value.copy(), to=exp.DataType.build("VARCHAR"))
    if kind in (Kind.STRING, Kind.ENUM):
        return exp.Concat(expressions=[_text("'"), text, _text("'")])
    return text


def _text(s: str) -> exp.Expression:
    return exp.Literal.string(s)
