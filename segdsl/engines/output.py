"""The output layout shared by every engine (LANGUAGE.md §10-11).

One row per customer: the key (or `_row`), one column per dimension in
declaration order, then `DIMENSION_label` and `DIMENSION_ATTRIBUTE` columns
when asked, then carried-through input columns.
"""
from __future__ import annotations

from collections import Counter

from .. import ir
from ..runtime.customers import UniqueConflict
from ..io.writers import OutputColumn, as_text
from ..types import Kind

_KIND = {Kind.INT: "int", Kind.NUMBER: "number", Kind.BOOL: "bool", Kind.STRING: "string",
         Kind.DATE: "date", Kind.DATETIME: "datetime", Kind.ENUM: "string"}


def attribute_keys(d: ir.Dimension) -> list[str]:
    keys: list[str] = []
    for s in d.all_segments():
        for k, _ in s.attributes:
            if k not in keys:
                keys.append(k)
    return keys


def _attr_kind(d: ir.Dimension, key: str) -> str:
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
        out[k] = as_text(v) if v is not None and _attr_kind(d, k) in ("string", "list") else v
    return out


class Layout:
    def __init__(self, rs: ir.Ruleset, labels: bool, attributes: bool, keep: list[tuple[str, str]]):
        self.rs = rs
        self.labels = labels
        self.attributes = attributes
        self.keep = keep                      # (output column, input column) pairs
        self.key = rs.key
        key_kind = _KIND.get(rs.key_type.kind, "string") if rs.key_type is not None else "int"
        cols = [OutputColumn(self.key, key_kind)]
        for d in rs.dimensions:
            cols.append(OutputColumn(d.name, "list" if d.policy == "all" else "string"))
        if labels:
            cols += [OutputColumn(f"{d.name}_label", "list" if d.policy == "all" else "string") for d in rs.dimensions]
        if attributes:
            for d in rs.dimensions:
                cols += [OutputColumn(f"{d.name}_{k}", _attr_kind(d, k)) for k in attribute_keys(d)]
        cols += [OutputColumn(out, "string") for out, _ in keep]
        self.columns = cols
        self._labels = {d.name: {s.name: (s.label if s.label is not None else s.name) for s in d.all_segments()}
                        for d in rs.dimensions}
        self._attrs = {d.name: {s.name: attribute_values(d, s) for s in d.all_segments()} for d in rs.dimensions}
        self.counts = {d.name: Counter() for d in rs.dimensions}

    def reset_counts(self) -> None:
        self.counts = {d.name: Counter() for d in self.rs.dimensions}

    def row(self, key, values: tuple, kept: dict | None = None) -> dict:
        out = {self.key: key}
        for d, v in zip(self.rs.dimensions, values):
            out[d.name] = list(v) if d.policy == "all" else v
            c = self.counts[d.name]
            if d.policy == "all":
                if v:
                    for s in v:
                        c[s] += 1
                else:
                    c["(none)"] += 1
            else:
                c[v if v is not None else "(none)"] += 1
        if self.labels:
            for d, v in zip(self.rs.dimensions, values):
                names = self._labels[d.name]
                out[f"{d.name}_label"] = [names[s] for s in v] if d.policy == "all" else (
                    names[v] if v is not None else None)
        if self.attributes:
            for d, v in zip(self.rs.dimensions, values):
                attrs = self._attrs[d.name]
                for k in attribute_keys(d):
                    if d.policy == "all":
                        out[f"{d.name}_{k}"] = [attrs[s][k] for s in v if attrs[s].get(k) is not None]
                    else:
                        out[f"{d.name}_{k}"] = attrs[v].get(k) if v is not None else None
        for col, src in self.keep:
            val = (kept or {}).get(src)
            out[col] = None if val is None else str(val)
        return out


def conflict(values: tuple) -> UniqueConflict | None:
    return next((v for v in values if isinstance(v, UniqueConflict)), None)
