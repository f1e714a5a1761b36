"""The shape of the output (LANGUAGE.md §10-11), which code generators and engines share.

One row per customer: the key (or `_row`), one column per dimension in
declaration order, then `DIMENSION_label` and `DIMENSION_ATTRIBUTE` columns
when asked, then carried-through input columns. The SQL backend builds the
same attribute columns the engines write, so both read the keys, kinds and
values from here; engines fill the rows (engines/output.py).
"""
from __future__ import annotations

from .. import ir
from ..io.writers import OutputColumn, as_text
from ..types import Kind

KEY_KIND = {Kind.INT: "int", Kind.NUMBER: "number", Kind.BOOL: "bool", Kind.STRING: "string",
            Kind.DATE: "date", Kind.DATETIME: "datetime", Kind.ENUM: "string"}


def attribute_keys(d: ir.Dimension) -> list[str]:
    """A dimension's attribute keys, in order of first mention."""
    keys: list[str] = []
    for s in d.all_segments():
        for k, _ in s.attributes:
            if k not in keys:
                keys.append(k)
    return keys


def attribute_kind(d: ir.Dimension, key: str) -> str:
    """The output column kind of one attribute: text unless every value has the same kind."""
    kinds = {type(v) for s in d.all_segments() for k, v in s.attributes if k == key and v is not None}
    if d.policy == "all":
        return "list"
    if kinds == {int}:
        return "int"
    if kinds <= {int, float} and kinds:
        return "number"
    if kinds == {bool}:
        return "bool"
    return "string"


def attribute_values(d: ir.Dimension, s: ir.Segment) -> dict:
    """A segment's attributes as they are written: text where the column is text
    (a list's items, or a key whose values mix kinds), the value itself otherwise."""
    out = {}
    for k, v in s.attributes:
        out[k] = as_text(v) if v is not None and attribute_kind(d, k) in ("string", "list") else v
    return out


def output_columns(rs: ir.Ruleset, labels: bool, attributes: bool, kept: list[str]) -> list[OutputColumn]:
    """The output's columns in order; `kept` are the output names of carried-through input columns."""
    key_kind = KEY_KIND.get(rs.key_type.kind, "string") if rs.key_type is not None else "int"
    cols = [OutputColumn(rs.key, key_kind)]
    for d in rs.dimensions:
        cols.append(OutputColumn(d.name, "list" if d.policy == "all" else "string"))
    if labels:
        cols += [OutputColumn(f"{d.name}_label", "list" if d.policy == "all" else "string") for d in rs.dimensions]
    if attributes:
        for d in rs.dimensions:
            cols += [OutputColumn(f"{d.name}_{k}", attribute_kind(d, k)) for k in attribute_keys(d)]
    cols += [OutputColumn(name, "string") for name in kept]
    return cols


KEPT_PREFIX = "input_"


def kept_names(rs: ir.Ruleset, labels: bool, attributes: bool, chosen: list[str]) -> list[str]:
    """The output names of carried-through input columns: a column's own name, or `input_NAME`
    (`input_input_NAME`, ...) where the output already has a column of that name, or an earlier
    kept one has, whatever the case (DuckDB and Spark read `City` and `city` as one column)."""
    taken = {c.name.casefold() for c in output_columns(rs, labels, attributes, [])}
    out = []
    for c in chosen:
        name = c
        while name.casefold() in taken:
            name = KEPT_PREFIX + name
        taken.add(name.casefold())
        out.append(name)
    return out
