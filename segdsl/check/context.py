"""What the stages of the checker share, and the one way they report.

The schema, expression, definition, ordering and test stages each fill in
or read part of one `Context`: the declared names (one namespace for
fields, params, lets and dimensions), what checked cleanly so far, and the
names read (for SEG403). The state lives here rather than in a class that
also does the checking, so each stage is a module of plain functions over it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import ir
from ..diagnostics.values import DiagnosticSink
from ..source import Span
from ..syntax import ast as A


class Failed(Exception):
    """An expression or declaration could not be checked; its diagnostic is already in the sink."""


@dataclass(eq=False)
class Context:
    modules: list[A.Module]                  # imported files first, the main file last
    sink: DiagnosticSink
    customer: ir.InputSchema | None = None
    related: dict[str, ir.InputSchema] = field(default_factory=dict)
    params: dict[str, ir.ParamDecl] = field(default_factory=dict)
    names: dict[str, tuple[str, Span]] = field(default_factory=dict)   # name → (kind, span)
    broken: set[str] = field(default_factory=set)     # declared, with an error already reported
    let_ast: dict[str, A.Let] = field(default_factory=dict)
    dim_ast: dict[str, A.Dimension] = field(default_factory=dict)
    let_state: dict[str, str] = field(default_factory=dict)   # "checking" | "done" | "failed"
    lets: dict[str, ir.Let] = field(default_factory=dict)
    dims: dict[str, ir.Dimension] = field(default_factory=dict)
    population: list[ir.PopulationStat] = field(default_factory=list)
    used: set[str] = field(default_factory=set)      # fields, params, lets and dimensions read

    @property
    def main(self) -> A.Module:
        return self.modules[-1]

    def error(self, code: str, message: str, span: Span | None, help: str | None = None, notes=()) -> None:
        self.sink.error(code, message, span, help, tuple(notes))

    def declare(self, name: str, kind: str, span: Span) -> bool:
        """Claim `name` in the one namespace; False (and SEG101) when it is taken."""
        if name in self.names:
            other_kind, other_span = self.names[name]
            self.error("SEG101", f"`{name}` is already defined (as a {other_kind})", span,
                       help="fields, lets, params and dimensions share one namespace; rename one",
                       notes=[f"first defined at {other_span}"])
            return False
        self.names[name] = (kind, span)
        return True

    def header_span(self) -> Span:
        """Where a problem with the whole file is shown: its `ruleset` line."""
        return self.main.header.span if self.main.header is not None else file_span(self.main.path)


def segments_of(d: A.Dimension) -> tuple[A.Segment, ...]:
    """A dimension's segments as written, `otherwise` last."""
    return d.segments + ((d.otherwise,) if d.otherwise is not None else ())


def file_span(path: str) -> Span:
    return Span(path, 1, 1, 1, 1)
