"""Every column the output can have gets a name of its own.

The output holds the key, one column per dimension, and when asked for,
`DIMENSION_label` and `DIMENSION_ATTRIBUTE` columns (backends/layout.py).
Those names are built by joining names with `_`, so two of them can meet: a
dimension `x_label` beside a dimension `x` whose labels are asked for, an
attribute `label`, or a dimension `a` with attribute `b_c` beside a dimension
`a_b` with attribute `c`. Such a ruleset is refused when it is checked,
whatever options a run will take, so no engine meets two columns of one name
and compiled SQL never writes one twice (SEG119, at the one declared later).

The queries and tables of the engines also carry columns of segdsl's own
beside the fields, lets and dimensions (`_row`, `__segdsl_conflict_0`,
`__pop_0`, ...), so a name beginning with two underscores, or `_row`, is
refused for a field, a let, a dimension and an output column alike.

Output columns are compared as DuckDB, Spark (by default), BigQuery and
MySQL compare columns, whatever the case: dimensions `x` and `X` would give
one column there.
"""
from __future__ import annotations

from ..source import Span
from .context import Context, segments_of

ROW_COLUMN = "_row"      # the key column of an input without a key (ir.Ruleset.key)
OWN_PREFIX = "__"        # segdsl's own columns in queries and tables


def is_own_column(name: str) -> bool:
    """A name segdsl keeps for its own columns."""
    return name == ROW_COLUMN or name.startswith(OWN_PREFIX)


def check_output_columns(ctx: Context) -> None:
    _own_names(ctx)
    claimed: dict[str, tuple[str, str, Span]] = {}      # folded name → (name, what, where)
    key = _key_column(ctx)
    if key is not None:
        claimed[key[0].casefold()] = (key[0], *key[1])
    for d in ctx.dim_ast.values():
        if is_own_column(d.name):
            continue                 # reported with the names
        columns = [(d.name, f"dimension `{d.name}`", d.span),
                   (f"{d.name}_label", f"the label column of `{d.name}`", d.span)]
        seen = set()
        for s in segments_of(d):
            for a in s.attributes:
                if a.key not in seen:
                    seen.add(a.key)
                    columns.append((f"{d.name}_{a.key}", f"the column of attribute `{a.key}` of `{d.name}`", a.span))
        for name, what, span in columns:
            if is_own_column(name):
                _refuse_own(ctx, name, what, span)
            elif name.casefold() in claimed:
                other_name, other, other_span = claimed[name.casefold()]
                written = f"`{name}`" if other_name == name else f"`{name}` (as `{other_name}`)"
                ctx.error("SEG119", f"output column {written} would be written twice: {what} and {other}", span,
                          help="label and attribute columns are named DIMENSION_label and DIMENSION_ATTRIBUTE "
                               "(with --labels, --attributes); rename one of the two" if other_name == name else
                          "DuckDB, Spark and most databases read names differing only in case as one column; "
                          "rename one of the two",
                          notes=[f"{other}: {other_span}"])
                if name == d.name:
                    break            # its label and attribute columns would only repeat it
            else:
                claimed[name.casefold()] = (name, what, span)


def _own_names(ctx: Context) -> None:
    """Fields, lets and dimensions named like segdsl's own columns."""
    inputs = ([ctx.customer] if ctx.customer is not None else []) + list(ctx.related.values())
    named = [(f.name, f"field `{f.name}`", f.span) for i in inputs for f in i.fields]
    named += [(n, f"let `{n}`", let.span) for n, let in ctx.let_ast.items()]
    named += [(n, f"dimension `{n}`", d.span) for n, d in ctx.dim_ast.items()]
    for name, what, span in named:
        if is_own_column(name):
            _refuse_own(ctx, name, what, span)


def _refuse_own(ctx: Context, name: str, what: str, span: Span) -> None:
    ctx.error("SEG119", f"`{name}` is a name segdsl keeps for its own columns ({what})", span,
              help=f"names beginning with two underscores, and `{ROW_COLUMN}`, are taken; "
                   f"rename it, e.g. `{name.strip('_') or 'x'}`")


def _key_column(ctx: Context) -> tuple[str, tuple[str, Span]] | None:
    """The output's key column and what it is, as ir.Ruleset.key names it."""
    if ctx.customer is not None:
        if ctx.customer.key:
            field = ctx.customer.field(ctx.customer.key)
            return ctx.customer.key, (f"the key column `{ctx.customer.key}`", field.span if field else ctx.customer.span)
        return ROW_COLUMN, (f"the row number column `{ROW_COLUMN}` of input `{ctx.customer.name}` (it has no key)",
                            ctx.customer.span)
    if ctx.related:
        r = next(iter(ctx.related.values()))
        return r.key, (f"the key column (`{r.key}` of `{r.name}`)", r.span)
    return None
