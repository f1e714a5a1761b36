"""The checker's stages in order: the AST of a file and its imports → the typed IR.

schema (inputs, fields, params) → definitions (lets, dimensions, typing each
expression) → ordering → test lowering. Every stage reports every problem
it finds and carries on, so one run shows them all; what checked cleanly is
kept, so a file with errors still gives a partial IR an editor can complete
names from. Only an IR with no errors is ever run (`Checked.ok`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from .. import ir
from ..analysis.uses import Uses, imports_of
from ..diagnostics.values import DiagnosticSink
from ..syntax import ast as A
from ..types import Type
from .context import Context, file_span
from .columns import check_output_columns
from .definitions import check_definitions, declare_definitions
from .expressions import ExpressionChecker
from .ordering import order_definitions
from .schema import check_schema
from .tests import lower_tests


@dataclass(frozen=True, slots=True)
class Checked:
    ruleset: ir.Ruleset       # partial when the file has errors: what checked cleanly
    uses: Uses                # what the lints need that the IR does not show
    ok: bool                  # no errors: the ruleset is complete and may be run


def check_modules(modules: list[A.Module], texts: dict[str, str], sink: DiagnosticSink) -> Checked:
    """modules: imported files first, the main file last."""
    ctx = Context(modules, sink)
    if ctx.main.header is None:
        sink.error("SEG117", "the file does not start with `ruleset NAME`", file_span(ctx.main.path),
                   help='write e.g. `ruleset telecom "电信客户细分" version "1.0"` on the first line')
    check_schema(ctx)
    declare_definitions(ctx)
    check_definitions(ExpressionChecker(ctx))
    check_output_columns(ctx)
    definitions = order_definitions(ctx, report=not sink.has_errors)
    if sink.has_errors:
        tests = lower_tests(replace(ctx, sink=DiagnosticSink()))     # quietly, for the partial IR
    else:
        tests = lower_tests(ctx)
    uses = Uses(tuple((name, let.span) for name, let in ctx.let_ast.items()), frozenset(ctx.used),
                imports_of(modules))
    return Checked(_ruleset(ctx, texts, definitions, tests), uses, not sink.has_errors)


def _ruleset(ctx: Context, texts: dict[str, str], definitions: tuple[ir.Definition, ...],
             tests: tuple[ir.Test, ...]) -> ir.Ruleset:
    header = ctx.main.header
    ordered = {d.name for d in definitions}
    return ir.Ruleset(
        name=header.name if header else "ruleset", label=header.label if header else None,
        version=header.version if header else None, path=ctx.main.path, customer=ctx.customer,
        related=tuple(ctx.related.values()), params=tuple(ctx.params.values()), definitions=definitions,
        dimensions=tuple(d for n, d in ctx.dims.items() if n in ordered), population=tuple(ctx.population),
        tests=tests, source_hash=_source_hash(texts), key_type=_key_type(ctx), sources=dict(texts))


def _source_hash(texts: dict[str, str]) -> str:
    h = hashlib.sha256()
    for path in sorted(texts):
        h.update(texts[path].encode("utf-8"))
    return h.hexdigest()


def _key_type(ctx: Context) -> Type | None:
    """The type of the output's key column: the customer key, or the `by` field of the one related input."""
    if ctx.customer and ctx.customer.key:
        key = ctx.customer.field(ctx.customer.key)
        return key.type if key is not None else None
    if not ctx.customer and ctx.related:
        r = next(iter(ctx.related.values()))
        key = r.field(r.key)
        return key.type.at_level(None) if key is not None else None
    return None
