"""The help line of a failed comparison: what the analyst most likely meant."""
from __future__ import annotations

from .. import ir
from ..syntax import ast as A
from ..types import Kind


def shadow_hint(left: A.Expr, r: ir.Expr) -> str | None:
    """`age = network` where `age` is a field and also a member of `network`'s enum: the left side is the field."""
    if not isinstance(left, A.Name) or not isinstance(r, (ir.FieldRef, ir.LetRef, ir.ParamRef)):
        return None
    if r.type.kind is Kind.ENUM and r.type.enum.member(left.name) is not None:
        return (f"`{left.name}` is also a member of the enum of `{r.type.enum.owner}`, but on the left of a "
                f"comparison a name is a field, let or param first; write `{r.name} = {left.name}`")
    return None


def compare_hint(l: ir.Expr, r: ir.Expr) -> str | None:
    """Quotes where none belong: an enum member, a segment or a number written as text."""
    for a, b in ((l, r), (r, l)):
        if a.type.kind is Kind.ENUM and b.type.kind is Kind.STRING and isinstance(b, ir.Const):
            members = a.type.enum.members
            hit = next((m for m in members if m.value == b.value or m.name == b.value), None)
            if hit:
                return f"enum members are written bare: `{hit.name}`"
            return "enum members are written bare: " + ", ".join(m.name for m in members)
        if a.type.kind is Kind.SEGMENT and b.type.kind is Kind.STRING:
            return "segments are written bare, without quotes"
    kinds = {l.type.kind, r.type.kind}
    if kinds == {Kind.STRING, Kind.INT} or kinds == {Kind.STRING, Kind.NUMBER}:
        return "numbers are written without quotes"
    return None
