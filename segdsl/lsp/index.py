"""Where each name of a rule file is defined and where it is used, from its syntax tree.

A symbol is keyed by what it names: ("name", n) for the one namespace of
fields, lets, params, dimensions and related inputs, ("segment", d, s) for
a segment of a dimension, ("row", r, f) for a field of a related input,
("member", f, m) for a member of the enum of field or param f. Bare names
are resolved as the checker does where it matters here: next to a
dimension (`status = churn_risk`, `value in [a, b]`, `senior in tags`,
`expect value = top`) a name is that dimension's segment, next to an enum
field or param (`network = in_net`, a test's `network: in_net`) a member of
its enum.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..source import Span
from ..syntax import ast as A

Key = tuple


@dataclass(frozen=True, slots=True)
class Definition:
    key: Key
    kind: str               # field, param, let, dimension, related, segment, row, member
    name: str
    span: Span
    node: object            # the AST node that declares it


@dataclass
class Index:
    definitions: dict[Key, Definition] = field(default_factory=dict)
    occurrences: list[tuple[Span, Key]] = field(default_factory=list)      # definitions included
    segments: dict[str, list[str]] = field(default_factory=dict)          # dimension → its segments
    members: dict[str, list[str]] = field(default_factory=dict)           # enum field or param → members

    def at(self, line: int, col: int) -> Key | None:
        """The symbol whose name is at 1-based (line, col), the column inside or just after it."""
        for span, key in self.occurrences:
            if span.line == line == span.end_line and span.col <= col <= span.end_col:
                return key
        return None

    def spans(self, key: Key) -> list[Span]:
        return sorted({span for span, k in self.occurrences if k == key}, key=lambda s: (s.line, s.col))


def build_index(module: A.Module) -> Index:
    ix = Index()
    _Declarations(ix).module(module)
    uses = _Uses(ix)
    for owner, t, default in _enum_defaults(module):
        uses.value_of(owner, default)
    for let in module.lets:
        uses.expr(let.expr)
    for d in module.dimensions:
        for s in d.segments:
            if s.condition is not None:
                uses.expr(s.condition)
    for t in module.tests:
        uses.test(t)
    return ix


def _enum_defaults(m: A.Module):
    """(owner, type, default) of every field and param whose default may name a member."""
    for decl in [f for i in m.inputs for f in i.fields] + list(m.params):
        if decl.default is not None and decl.type.name == "enum":
            yield decl.name, decl.type, decl.default


class _Declarations:
    def __init__(self, ix: Index):
        self.ix = ix

    def define(self, key: Key, kind: str, name: str, span: Span, node) -> None:
        self.ix.definitions.setdefault(key, Definition(key, kind, name, span, node))
        self.ix.occurrences.append((span, key))

    def module(self, m: A.Module) -> None:
        for inp in m.inputs:
            for f in inp.fields:
                self.define(("name", f.name), "field", f.name, f.span, f)
                self.enum(f.name, f.type)
            if inp.key and inp.key_span:
                self.ix.occurrences.append((inp.key_span, ("name", inp.key)))
        for r in m.related:
            self.define(("name", r.name), "related", r.name, r.span, r)
            for f in r.fields:
                self.define(("row", r.name, f.name), "row", f.name, f.span, f)
            self.ix.occurrences.append((r.by_span, ("row", r.name, r.by)))
        for p in m.params:
            self.define(("name", p.name), "param", p.name, p.span, p)
            self.enum(p.name, p.type)
        for let in m.lets:
            self.define(("name", let.name), "let", let.name, let.span, let)
        for d in m.dimensions:
            self.define(("name", d.name), "dimension", d.name, d.span, d)
            segs = d.segments + ((d.otherwise,) if d.otherwise else ())
            self.ix.segments[d.name] = [s.name for s in segs]
            for s in segs:
                self.define(("segment", d.name, s.name), "segment", s.name, s.span, s)

    def enum(self, owner: str, t: A.TypeRef) -> None:
        if t.name == "enum":
            self.ix.members[owner] = [m.name for m in t.members]
            for m in t.members:
                self.define(("member", owner, m.name), "member", m.name, m.span, m)


class _Uses:
    """Every use of a name in expressions and tests: one method per AST node kind."""

    def __init__(self, ix: Index):
        self.ix = ix

    def use(self, span: Span, key: Key) -> None:
        if key in self.ix.definitions:
            self.ix.occurrences.append((span, key))

    def expr(self, e) -> None:
        if e is not None:
            getattr(self, f"expr_{type(e).__name__}", self.children)(e)

    def children(self, e) -> None:
        for name in getattr(e, "__slots__", ()):
            value = getattr(e, name)
            for v in value if isinstance(value, tuple) else (value,):
                if isinstance(v, A.Expr):
                    self.expr(v)
                elif isinstance(v, tuple):
                    for w in v:
                        if isinstance(w, A.Expr):
                            self.expr(w)

    def expr_Name(self, e: A.Name) -> None:
        self.use(e.span, ("name", e.name))

    def expr_Member(self, e: A.Member) -> None:
        self.expr(e.obj)
        if isinstance(e.obj, A.Name):
            self.use(e.name_span, ("row", e.obj.name, e.name))

    def expr_Call(self, e: A.Call) -> None:
        for a in e.args + e.by:
            self.expr(a)
        self.expr(e.where)

    def expr_Case(self, e: A.Case) -> None:
        for c, v in e.whens:
            self.expr(c)
            self.expr(v)
        self.expr(e.else_)

    def expr_Compare(self, e: A.Compare) -> None:
        self.paired(e.left, e.right)

    def expr_In(self, e: A.In) -> None:
        items = e.target.items if isinstance(e.target, A.ListLit) else (e.target,)
        if isinstance(e.target, A.Name) and e.target.name in self.ix.segments:      # `senior in tags`
            self.expr(e.target)
            self.value_of(e.target.name, e.operand)
            return
        self.expr(e.operand)
        if isinstance(e.operand, A.Name) and isinstance(e.target, A.ListLit):
            for item in items:
                self.value_of(e.operand.name, item)
        else:
            self.expr(e.target)

    def paired(self, left, right) -> None:
        """`dim = seg`, `field = member`, either way round."""
        for a, b in ((left, right), (right, left)):
            if isinstance(a, A.Name) and self.owns(a.name, b):
                self.expr(a)
                self.value_of(a.name, b)
                return
        self.expr(left)
        self.expr(right)

    def owns(self, owner: str, value) -> bool:
        return isinstance(value, A.Name) and (value.name in self.ix.segments.get(owner, ())
                                              or value.name in self.ix.members.get(owner, ()))

    def value_of(self, owner: str, value) -> None:
        """A value compared with `owner`: its segment, its member, or any expression."""
        if isinstance(value, A.Name) and value.name in self.ix.segments.get(owner, ()):
            self.use(value.span, ("segment", owner, value.name))
        elif isinstance(value, A.Name) and value.name in self.ix.members.get(owner, ()):
            self.use(value.span, ("member", owner, value.name))
        else:
            self.expr(value)

    # ---- tests ----

    def test(self, t: A.Test) -> None:
        for case in t.cases:
            if case.record is not None:
                for name, value, span in case.record.fields:
                    self.use(span, ("name", name))
                    self.value_of(name, value)
            for rel, records, span in case.rows:
                self.use(span, ("name", rel))
                for r in records:
                    for name, _, fspan in r.fields:
                        self.use(fspan, ("row", rel, name))
            for pin in case.pins:
                self.use(pin.span, ("name", pin.name))
            for x in case.expectations:
                if not t.is_table:
                    self.use(x.span, ("name", x.dimension))
                values = x.value.items if isinstance(x.value, A.ListLit) else (x.value,)
                for v in values:
                    self.value_of(x.dimension, v)
