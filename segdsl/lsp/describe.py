"""What a name is, in words: the one-line detail of a completion and the text of a hover.

The checked IR knows types (a let's type is inferred), nullability, ranges
and labels; the syntax tree knows what was written (a segment's condition
as the analyst wrote it). A file with an error has a partial IR: a name the
checker could not finish is described from the syntax tree alone.
"""
from __future__ import annotations

from .. import ir
from ..types import Kind, Type
from .analysis import Analysis, span_text
from .index import Definition


def type_text(t: Type) -> str:
    if t.kind is Kind.ENUM and t.enum:
        base = "enum { " + ", ".join(m.name for m in t.enum.members) + " }"
    else:
        base = t.describe()
    return base + ("?" if t.nullable else "")


def _field(rs: ir.Ruleset | None, d: Definition) -> ir.FieldSchema | None:
    if rs is None:
        return None
    inputs = ([rs.customer] if rs.customer else []) + list(rs.related)
    if d.kind == "row":
        inputs = [i for i in inputs if i.name == d.key[1]]
    return next((f for i in inputs for f in i.fields if f.name == d.name), None)


def _let(rs: ir.Ruleset | None, name: str) -> ir.Let | None:
    return next((x for x in (rs.definitions if rs else ()) if isinstance(x, ir.Let) and x.name == name), None)


def _param(rs: ir.Ruleset | None, name: str) -> ir.ParamDecl | None:
    return next((p for p in (rs.params if rs else ()) if p.name == name), None)


def detail(a: Analysis, d: Definition) -> str:
    """One line: what kind of name and its type."""
    rs = a.ruleset
    if d.kind in ("field", "row"):
        f = _field(rs, d)
        where = f"field of `{d.key[1]}`" if d.kind == "row" else "field"
        return f"{where}: {type_text(f.type)}" if f else where
    if d.kind == "let":
        let = _let(rs, d.name)
        return f"let: {type_text(let.expr.type)}" if let else "let"
    if d.kind == "param":
        p = _param(rs, d.name)
        return f"param: {type_text(p.type)}" if p else "param"
    if d.kind == "dimension":
        return f"dimension ({d.node.policy})"
    if d.kind == "segment":
        return f"segment of `{d.key[1]}`"
    if d.kind == "member":
        return f"member of `{d.key[1]}`"
    return "related input"


def hover(a: Analysis, d: Definition) -> str:
    """Markdown: the name, its kind and type, nullability, range, label; a segment's condition."""
    lines = [f"**{d.name}** — {detail(a, d)}"]
    getattr(_Hover(a, lines), d.kind, lambda d: None)(d)
    return "\n\n".join(lines)


class _Hover:
    """The lines of a hover after the first, one method per kind of name."""

    def __init__(self, a: Analysis, lines: list[str]):
        self.a, self.lines = a, lines

    def label(self, label: str | None) -> None:
        if label:
            self.lines.append(f"label: {label}")

    def field(self, d: Definition) -> None:
        f = _field(self.a.ruleset, d)
        node = d.node
        if f is not None:
            self.lines.append("nullable: may be missing (null)" if f.type.nullable else "never null")
        if node.range is not None:              # as written: `0..120`, `0%..100%`
            low, high = (span_text(self.a.text, x.span) for x in node.range)
            self.lines.append(f"range: {low}..{high}")
        if f is not None:
            if f.column != f.name:
                self.lines.append(f"column: `{f.column}`")
            if f.has_default:
                self.lines.append(f"default: {f.default!r}")
        self.label(f.label if f is not None else node.label)

    row = field

    def let(self, d: Definition) -> None:
        self.label(d.node.label)
        self.lines.append(f"```segdsl\n{span_text(self.a.text, d.node.expr.span)}\n```")

    def param(self, d: Definition) -> None:
        p = _param(self.a.ruleset, d.name)
        if p is not None and p.has_default:
            self.lines.append(f"default: {p.default!r}")
        self.label(d.node.label)

    def dimension(self, d: Definition) -> None:
        self.label(d.node.label)
        segs = d.node.segments + ((d.node.otherwise,) if d.node.otherwise else ())
        self.lines.append("segments: " + ", ".join(f"`{s.name}`" for s in segs))

    def segment(self, d: Definition) -> None:
        self.label(d.node.label)
        cond = d.node.condition
        if cond is None:
            self.lines.append("`otherwise`: every customer no other segment took")
        else:
            self.lines.append(f"```segdsl\nwhen {span_text(self.a.text, cond.span)}\n```")

    def member(self, d: Definition) -> None:
        self.lines.append(f"in the data: `{d.node.value}`")
        self.label(d.node.label)

    def related(self, d: Definition) -> None:
        self.lines.append(f"rows of `{d.node.of}` by `{d.node.by}`")
