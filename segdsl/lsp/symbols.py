"""The outline of a rule file: inputs with their fields, params, lets, dimensions with their segments."""
from __future__ import annotations

from lsprotocol import types as T

from .analysis import Analysis
from .positions import to_range

K = T.SymbolKind


def outline(a: Analysis) -> list[T.DocumentSymbol]:
    m = a.module
    if m is None:
        return []

    def sym(name, kind, span, detail=None, children=None) -> T.DocumentSymbol:
        r = to_range(a.text, span)
        return T.DocumentSymbol(name=name, kind=kind, range=r, selection_range=r, detail=detail,
                                children=children or None)

    out = [sym(i.name, K.Struct, i.span, "input", [sym(f.name, K.Field, f.span, f.label) for f in i.fields])
           for i in m.inputs]
    out += [sym(r.name, K.Struct, r.span, f"related of {r.of}", [sym(f.name, K.Field, f.span) for f in r.fields])
            for r in m.related]
    out += [sym(p.name, K.Constant, p.span, p.label) for p in m.params]
    out += [sym(x.name, K.Variable, x.span, x.label) for x in m.lets]
    for d in m.dimensions:
        segs = d.segments + ((d.otherwise,) if d.otherwise else ())
        out.append(sym(d.name, K.Class, d.span, d.label or d.policy,
                       [sym(s.name, K.EnumMember, s.span, s.label) for s in segs]))
    return sorted(out, key=lambda s: (s.range.start.line, s.range.start.character))
