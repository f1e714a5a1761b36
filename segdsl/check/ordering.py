"""Dependency order of the definitions, and SEG110 for dimensions in a cycle.

Lets in a cycle are found while they are checked (definitions.py); a
dimension may read another dimension's segment, so cycles through
dimensions are found here. What a definition reads comes from the
compiler's one dependency walk (passes/dependencies.py).

The order is a depth-first walk in declaration order, each definition after
what it reads (its dependencies in name order), so the same rules always
give the same order. A definition that reads one with an error, or that
sits on a cycle, is left out: the rest still form a closed, ordered IR for
an editor.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..passes.dependencies import definition_exprs, references
from .context import Context


@dataclass(frozen=True, slots=True)
class Ordering:
    definitions: tuple[ir.Definition, ...]   # each after everything it reads
    cycle: tuple[str, ...] = ()              # the first cycle met, its first name repeated at the end


def order_definitions(ctx: Context, report: bool = True) -> tuple[ir.Definition, ...]:
    """The customer-level lets and the dimensions that checked cleanly, in dependency order.

    A cycle is SEG110 when `report` is set; the checker clears it when the file already has
    errors, which are what the analyst should see first."""
    defs: dict[str, ir.Definition] = {n: l for n, l in ctx.lets.items() if l.expr.type.level is None}
    defs.update(ctx.dims)
    ordering = dependency_order(defs)
    if ordering.cycle and report:
        d = defs[ordering.cycle[0]]
        ctx.error("SEG110", "definitions depend on each other in a cycle: " + " → ".join(ordering.cycle),
                  d.span, help="a dimension or let cannot use itself, directly or through others")
    return ordering.definitions


def dependency_order(defs: dict[str, ir.Definition]) -> Ordering:
    """`defs` in dependency order, leaving out any on a cycle or reading a name not in `defs`."""
    reads = {n: references(definition_exprs(d)) for n, d in defs.items()}
    out: list[ir.Definition] = []
    state: dict[str, str] = {}           # "on_path" | "done" | "left_out"
    cycles: list[tuple[str, ...]] = []

    def visit(n: str, path: list[str]) -> bool:
        if state.get(n) in ("done", "left_out"):
            return state[n] == "done"
        if state.get(n) == "on_path":
            cycles.append(tuple(path[path.index(n):] + [n]))
            return False
        state[n] = "on_path"
        ok = True
        for m in sorted(reads[n]):
            ok = (m in defs and visit(m, path + [n])) and ok
        state[n] = "done" if ok else "left_out"
        if ok:
            out.append(defs[n])
        return ok

    for n in defs:
        visit(n, [])
    return Ordering(tuple(out), cycles[0] if cycles else ())
