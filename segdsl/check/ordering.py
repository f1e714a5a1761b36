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
    if report:
        _chain_too_long(ctx, ordering.definitions)
    return ordering.definitions


# Definitions that build on each other become one step each in SQL (a CTE reading the one
# before): Spark's analyser resolves one nested step per iteration and runs out of memory
# near 200 of them, DuckDB's binder stops near 1,000. The language allows chains of at
# most this many, far beyond any real ruleset (the shipped ones reach 4).
MAX_CHAIN = 50


def _chain_too_long(ctx: Context, definitions: tuple[ir.Definition, ...]) -> None:
    """SEG009 at the first definition that stands on a chain of more than MAX_CHAIN others."""
    depth: dict[str, int] = {}
    for d in definitions:                           # dependency order: what d reads is done
        depth[d.name] = 1 + max((depth.get(m, 0) for m in references(definition_exprs(d))), default=0)
        if depth[d.name] > MAX_CHAIN:
            ctx.error("SEG009", f"`{d.name}` ends a chain of {depth[d.name]} definitions, each reading "
                      f"the one before; at most {MAX_CHAIN} are allowed", d.span,
                      help="compute intermediate values in one expression, or use fewer steps")
            return


def dependency_order(defs: dict[str, ir.Definition]) -> Ordering:
    """`defs` in dependency order, leaving out any on a cycle or reading a name not in `defs`."""
    reads = {n: sorted(references(definition_exprs(d))) for n, d in defs.items()}
    out: list[ir.Definition] = []
    state: dict[str, str] = {}           # "on_path" | "done" | "left_out"
    cycles: list[tuple[str, ...]] = []
    for root in defs:                    # a depth-first walk with its own stack: chains of any length
        if root in state:
            continue
        state[root] = "on_path"
        path, frames = [root], [[root, 0, True]]     # name, next dependency, all dependencies fine
        while frames:
            frame = frames[-1]
            n, i = frame[0], frame[1]
            if i < len(reads[n]):
                frame[1] += 1
                m = reads[n][i]
                if m not in defs or state.get(m) == "left_out":
                    frame[2] = False
                elif state.get(m) == "on_path":
                    cycles.append(tuple(path[path.index(m):] + [m]))
                    frame[2] = False
                elif m not in state:
                    state[m] = "on_path"
                    path.append(m)
                    frames.append([m, 0, True])
                continue
            frames.pop()
            path.pop()
            state[n] = "done" if frame[2] else "left_out"
            if frame[2]:
                out.append(defs[n])
            if frames and not frame[2]:
                frames[-1][2] = False
    return Ordering(tuple(out), cycles[0] if cycles else ())
