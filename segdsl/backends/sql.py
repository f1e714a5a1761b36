"""The SQL backend: a Plan → one sqlglot SELECT, rendered for any dialect.

The query reads named input tables whose columns are the data columns of
the rule file's inputs (`from "..."` names), so it can run inside an ETL
job's own warehouse. It is built as a sqlglot expression tree: rule-file
text only ever becomes a sqlglot literal or a quoted identifier, so nothing
in a rule file can change the query's shape.

Shape:
    WITH customer_in AS (SELECT data columns AS fields, enums mapped to member
                         names, defaults applied FROM <customer table>),
         orders_agg  AS (SELECT key, aggregates ... GROUP BY key),   -- per related input
         step_1 AS (SELECT *, <the lets and dimensions that read only what
                    earlier steps hold> AS name, ... FROM ...), ...
    SELECT key, dimension columns [, labels, attributes] FROM step_n

Everything the query needs to know about the rules comes from the Plan: the
live definitions in order, each hoisted aggregate once (one column of one
GROUP BY however many conditions read it), the statistics read, and the
columns used (warehouse SQL projects and maps only those).

SQL's three-valued logic is the language's (LANGUAGE.md §6), so conditions
translate one to one; `/` becomes a DOUBLE division by NULLIF(b, 0); every
number literal is a DOUBLE or BIGINT so that arithmetic is IEEE like the
other engines; whole-number `+ - *`, negation, `abs` and `sum` are exact in
DECIMAL(38, 0) and null beyond 64 bits (sql_limits.py).

For engines: build the tree once per run (`build_query`, `population_query`)
and apply per-run choices as tree transforms: `with_tables` (the tables to
read, population result tables included: build with
`population=((id, population_table(id)), ...)` and rename), `without_order_by`
(where the scan order already holds), `as_create` (CREATE VIEW / TABLE AS).
Render with `render(tree, dialect)` (backends/dialects.py), which knows the
dialects' quirks; sqlglot's own `.sql()` does not know `CodePoints`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from sqlglot import exp

from .. import collector, ir
from ..builtins import BUILTINS, EXACT_SUM, FULL_LOWER, FULL_UPPER
from ..check.literals import number_problem
from ..passes import Plan, build_plan
from ..passes.dependencies import aggregates_read, definition_exprs, references, stats_read
from ..types import Kind
from . import sql_limits
from .dialects import CodePoints, render, sql_type
from .errors import NameRefused, NotSupported
from .names import CONFLICT, CONFLICT_VALUE, ORDER, ROW, conflict_column, conflict_columns, keep_column  # noqa: F401
from .population_sql import VALUE, look_up, stage_stats
from .sql_segments import SegmentSpelling

__all__ = ["SqlOptions", "NotSupported", "build_query", "population_query", "render", "to_sql",
           "with_tables", "without_order_by", "as_create", "EXACT_SUM", "FULL_LOWER",
           "FULL_UPPER"]



def ident(name: str) -> exp.Identifier:
    """The one quoting rule: every name is a quoted identifier."""
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def table(name: str | tuple[str, ...], alias: str | None = None) -> exp.Table:
    """A table by name, or by qualified name: (schema, table) or (catalog, schema, table)."""
    parts = (name,) if isinstance(name, str) else tuple(name)
    return exp.Table(this=ident(parts[-1]), db=ident(parts[-2]) if len(parts) > 1 else None,
                     catalog=ident(parts[-3]) if len(parts) > 2 else None,
                     alias=exp.TableAlias(this=ident(alias)) if alias else None)


SOURCE = "segdsl_source"     # meta key on the tables a query reads from outside it (`with_tables`)


def source_table(name: str | tuple[str, ...], alias: str | None = None) -> exp.Table:
    """A table the query reads from outside (an input, a statistic's results), not one of its CTEs."""
    t = table(name, alias)
    t.meta[SOURCE] = True
    return t


def _alias(e: exp.Expression, name: exp.Identifier) -> exp.Expression:
    """`e AS name`. Every node of a query is built fresh for its one place in the tree, so
    nothing is copied (sqlglot's builders copy by default: a deep copy per call, which made
    building a large query quadratic)."""
    return exp.alias_(e, name, copy=False)


def _select(*cols: exp.Expression) -> exp.Select:
    return exp.select(*cols, copy=False)


def _may_overflow(e: ir.Expr) -> bool:
    """Whole-number arithmetic the checker did not prove to fit in 64 bits (null beyond: sql_limits.py)."""
    return e.type.kind is Kind.INT and e.type.nullable


def double(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=e, to=sql_type("DOUBLE"))


def without_missing(f: ir.FieldSchema, raw: exp.Expression) -> exp.Expression:
    """A data column with the field's `missing` values (`missing 999`) as null, before any
    other reading of it: an enum's are data texts."""
    if not f.missing:
        return raw
    kind = Kind.STRING if f.type.kind is Kind.ENUM else f.type.kind
    hit = exp.In(this=raw.copy(), expressions=[literal(v, kind) for v in f.missing])
    return exp.Case(ifs=[exp.If(this=hit, true=exp.Null())], default=raw)


def literal(v, kind: Kind | None = None) -> exp.Expression:
    """A constant of the rules as SQL. Numbers are ones every engine holds alike: the checker
    and the params refuse the others (check/literals.py), since `inf` would be read as a
    column's name and a wider whole number as DECIMAL."""
    if v is None:
        return exp.Null()
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)) and number_problem(v) is not None:
        raise ValueError(f"no SQL literal for {v!r}: {number_problem(v)}")
    if isinstance(v, int) and kind is not Kind.NUMBER:
        return exp.Literal.number(v)
    if isinstance(v, (int, float)):
        return double(exp.Literal.number(repr(float(v))))
    if isinstance(v, str):
        return exp.Literal.string(v)
    if isinstance(v, dt.datetime):
        return exp.Cast(this=exp.Literal.string(v.isoformat(sep=" ")), to=sql_type("TIMESTAMP"))
    if isinstance(v, dt.date):
        return exp.Cast(this=exp.Literal.string(v.isoformat()), to=sql_type("DATE"))
    raise NotSupported(f"no SQL literal for {type(v).__name__}")


def string_array(items: list[exp.Expression]) -> exp.Expression:
    return exp.Array(expressions=items)


def empty_text_array() -> exp.Expression:
    return exp.Cast(this=exp.Array(expressions=[]), to=sql_type("ARRAY<VARCHAR>"))


def non_null(array: exp.Expression) -> exp.Expression:
    x = exp.to_identifier("x")
    return exp.ArrayFilter(this=array, expression=exp.Lambda(
        this=exp.Not(this=exp.Is(this=x.copy(), expression=exp.Null())), expressions=[x]))


def own(name: str, arg: exp.Expression) -> exp.Expression:
    """A call of a function the engine registered (SqlOptions.functions)."""
    return exp.Anonymous(this=name, expressions=[arg])


def population_column(i: int) -> str:
    return f"__pop_{i}"


def population_table(i: int) -> str:
    """The name a population statistic's results table has in a query built for an engine."""
    return f"__segdsl_population_{i}"


def aggregate_column(name: str) -> str:
    return f"__{name}"


def first_column(i: int) -> str:
    """A `unique` dimension's first match, before a conflict replaces it."""
    return f"__segdsl_first_{i}"


@dataclass(frozen=True)
class SqlOptions:
    tables: Mapping[str, str] = field(default_factory=dict)   # input name → table (default: the input's name)
    statistics_tables: Mapping[str, str] = field(default_factory=dict)   # input name → table population values
                                     # computed in the query read, where not `tables`' (prepared tables only)
    labels: bool = False
    attributes: bool = False
    keep: tuple[tuple[str, str], ...] = ()   # (output column, customer data column)
    row_column: str | None = None    # keyless input: the column holding the 1-based row number
    prepared: bool = False           # input tables already hold validated fields by field name
    population: tuple[tuple[int, str], ...] = ()   # population stat id → table (key, VALUE) of its results;
                                                   # the others are computed in the query (population_sql.py)
    population_columns: tuple[tuple[int, str], ...] = ()   # stat id → its column there, where not VALUE
    frozen: Mapping[int, Any] = field(default_factory=dict)   # stat id → frozen population.Stat, baked in
    ordered: bool = False            # prepared tables carry ORDER; the result carries it too
    sort: bool = True                # ... and is sorted by it (not needed where the scan order holds)
    functions: tuple[str, ...] = ()  # which of EXACT_SUM, FULL_UPPER, FULL_LOWER the connection has
    reasons: bool = False            # a `_reason` column: why the engines would call a row bad (sql_reasons.py)
    segment_indexes: bool = False    # segments as indexes, not names (sql_segments.py): for an engine that names them

    def table(self, input_name: str) -> str:
        return self.tables.get(input_name, input_name)


# ---- expressions ----

class _Expressions:
    """IR expression → sqlglot expression, one short `visit_<Node>` per node kind. Pure: a
    node's tree depends on the node (and the query's params and options) only."""

    def __init__(self, params: dict, opts: SqlOptions, segments: SegmentSpelling | None = None):
        self.params = params
        self.segments = segments or SegmentSpelling()
        self.functions = frozenset(opts.functions)
        self.population = dict(opts.population)
        self.population_columns = dict(opts.population_columns)
        self.lookups: dict[int, Any] = {}     # stat id → its StatSql: computed in the query, looked up in the chain

    def sql(self, e: ir.Expr) -> exp.Expression:
        return getattr(self, "visit_" + type(e).__name__)(e)

    @staticmethod
    def code_points(e: exp.Expression) -> exp.Expression:
        return CodePoints(this=e)

    def visit_Const(self, e: ir.Const) -> exp.Expression:
        if e.type.kind is Kind.LIST:
            return exp.Tuple(expressions=[self.sql(i) for i in e.value])
        if e.type.kind is Kind.TAGS:
            return string_array([self.segments.one(e.type.dimension, s) for s in e.value])
        if e.type.kind is Kind.SEGMENT and e.value is not None:
            return self.segments.one(e.type.dimension, e.value)
        return literal(e.value, e.type.kind)

    def visit_FieldRef(self, e: ir.FieldRef) -> exp.Expression:
        return col(e.name)

    visit_LetRef = visit_DimRef = visit_RowFieldRef = visit_FieldRef

    def visit_ParamRef(self, e: ir.ParamRef) -> exp.Expression:
        return literal(self.params[e.name], e.type.kind)

    def visit_AggregateRef(self, e: ir.AggregateRef) -> exp.Expression:
        return col(aggregate_column(e.name))

    def visit_PopulationStat(self, e: ir.PopulationStat) -> exp.Expression:
        if e.id not in self.population and e.id not in self.lookups:
            raise AssertionError("population values are computed (inline_population) before they are read")
        return col(population_column(e.id))

    def visit_Aggregate(self, e: ir.Aggregate) -> exp.Expression:
        raise AssertionError("the SQL backend reads a plan, whose aggregates are hoisted")

    def visit_Arith(self, e: ir.Arith) -> exp.Expression:
        a, b = self.sql(e.left), self.sql(e.right)
        if e.op in ("date_add", "date_sub"):      # null outside years 1 to 9999 (sql_limits.py)
            return self.moved(e, a, b, -1 if e.op == "date_sub" else 1)
        if e.op == "div":
            return exp.Div(this=double(a), expression=exp.Nullif(this=double(b), expression=exp.Literal.number(0)))
        cls = {"add": exp.Add, "sub": exp.Sub, "mul": exp.Mul}[e.op]
        if _may_overflow(e):
            return sql_limits.whole(cls(this=sql_limits.wide(a), expression=sql_limits.wide(b)))
        return exp.Paren(this=cls(this=a, expression=b))

    def moved(self, e: ir.Expr, x: exp.Expression, days: exp.Expression, sign: int = 1) -> exp.Expression:
        if sql_limits.too_nested(e):
            raise NotSupported(f"more than {sql_limits.MAX_DATETIME_NESTING} datetime ± days nested in one "
                               "expression", e.span, help="compute part of it in a `let`")
        return sql_limits.moved(x, days, e.type.kind, sign)

    def visit_Neg(self, e: ir.Neg) -> exp.Expression:
        if _may_overflow(e):
            return sql_limits.whole(exp.Neg(this=sql_limits.wide(self.sql(e.operand))))
        return exp.Neg(this=exp.Paren(this=self.sql(e.operand)))

    def visit_Func(self, e: ir.Func) -> exp.Expression:
        builtin = BUILTINS[e.name]
        kinds = tuple(a.type.kind for a in e.args)
        args = [self.sql(a) for a in e.args]
        for i, need in enumerate(builtin.needs):
            if e.args[i].type.kind is Kind.NULL:       # a literal `null`: typed as the function needs
                args[i] = exp.Cast(this=args[i], to=sql_type(need.sql_type))
        if e.name == "add_days":
            return self.moved(e, args[0], args[1])
        if builtin.may_overflow and _may_overflow(e):
            return sql_limits.whole(builtin.sql([sql_limits.wide(a) for a in args], kinds, self.functions))
        return builtin.sql(args, kinds, self.functions)

    def visit_Compare(self, e: ir.Compare) -> exp.Expression:
        if e.left.type.kind is Kind.TAGS:
            return self.tags_compare(e)
        cls = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[e.op]
        a, b = self.sql(e.left), self.sql(e.right)
        if e.op not in ("=", "!=") and e.left.type.kind is Kind.STRING:
            a, b = self.code_points(a), self.code_points(b)
        return cls(this=a, expression=b)

    def tags_compare(self, e: ir.Compare) -> exp.Expression:
        if not e.right.value:
            size = exp.Coalesce(this=exp.ArraySize(this=self.sql(e.left)), expressions=[exp.Literal.number(0)])
            cond = exp.EQ(this=size, expression=exp.Literal.number(0))
        else:
            cond = exp.EQ(this=self.sql(e.left), expression=self.sql(e.right))
        return exp.Paren(this=exp.Not(this=cond) if e.op == "!=" else cond)

    def visit_Between(self, e: ir.Between) -> exp.Expression:
        x, lo, hi = self.sql(e.operand), self.sql(e.low), self.sql(e.high)
        if e.operand.type.kind is Kind.STRING:
            x, lo, hi = self.code_points(x), self.code_points(lo), self.code_points(hi)
        between = exp.Between(this=x, low=lo, high=hi)
        return exp.Not(this=exp.Paren(this=between)) if e.negated else between

    def visit_InList(self, e: ir.InList) -> exp.Expression:
        test = exp.In(this=self.sql(e.operand), expressions=[self.sql(x) for x in e.items])
        return exp.Not(this=exp.Paren(this=test)) if e.negated else test

    def visit_InTags(self, e: ir.InTags) -> exp.Expression:
        test = exp.ArrayContains(this=col(e.dimension), expression=self.segments.one(e.dimension, e.segment))
        return exp.Paren(this=exp.Not(this=test) if e.negated else test)

    def visit_IsNull(self, e: ir.IsNull) -> exp.Expression:
        test = exp.Is(this=self.sql(e.operand), expression=exp.Null())
        return exp.Not(this=exp.Paren(this=test)) if e.negated else test

    def visit_And(self, e: ir.And) -> exp.Expression:
        return exp.Paren(this=exp.and_(*[self.sql(i) for i in e.items], wrap=True, copy=False))

    def visit_Or(self, e: ir.Or) -> exp.Expression:
        return exp.Paren(this=exp.or_(*[self.sql(i) for i in e.items], wrap=True, copy=False))

    def visit_Not(self, e: ir.Not) -> exp.Expression:
        return exp.Not(this=exp.Paren(this=self.sql(e.operand)))

    def visit_Case(self, e: ir.Case) -> exp.Expression:
        return exp.Case(ifs=[exp.If(this=self.sql(c), true=self.sql(v)) for c, v in e.whens],
                        default=self.sql(e.else_) if e.else_ is not None else None)

    # -- one aggregate over a related input's rows, in its GROUP BY --
    def aggregate(self, node: ir.Aggregate) -> exp.Expression:
        for x in ir.walk(node):
            if isinstance(x, (ir.FieldRef, ir.LetRef, ir.DimRef, ir.AggregateRef, ir.PopulationStat)):
                raise NotSupported("an aggregate that reads customer values (other than params) "
                                   "is not yet supported by the SQL backend", node.span)
        value = self.sql(node.arg) if node.arg is not None else exp.Literal.number(1)
        if node.where is not None:
            value = exp.Case(ifs=[exp.If(this=self.sql(node.where), true=value)])
        return getattr(self, "aggregate_" + node.func)(value, node.type.kind)

    def aggregate_count(self, value, kind: Kind) -> exp.Expression:
        return exp.Count(this=value)

    def aggregate_count_distinct(self, value, kind: Kind) -> exp.Expression:
        return exp.Count(this=exp.Distinct(expressions=[value]))

    def aggregate_sum(self, value, kind: Kind) -> exp.Expression:
        zero = _zero(kind)
        exact = kind is Kind.NUMBER and EXACT_SUM in self.functions     # BIGINT sums are exact
        if kind is Kind.INT:     # exact in DECIMAL; brought back to 64 bits after the join (_settled)
            return exp.Coalesce(this=exp.Sum(this=sql_limits.wide(value)), expressions=[sql_limits.wide(zero)])
        total = own(EXACT_SUM, exp.ArrayAgg(this=value)) if exact else exp.Sum(this=value)
        return exp.Coalesce(this=total, expressions=[zero])

    def aggregate_avg(self, value, kind: Kind) -> exp.Expression:
        if EXACT_SUM in self.functions:     # the exact sum over the count, as the interpreter divides
            count = exp.Nullif(this=exp.Count(this=value.copy()), expression=exp.Literal.number(0))
            return exp.Div(this=own(EXACT_SUM, exp.ArrayAgg(this=double(value))), expression=count)
        return exp.Avg(this=double(value))

    def aggregate_min(self, value, kind: Kind) -> exp.Expression:
        return exp.Min(this=self.code_points(value) if kind is Kind.STRING else value)

    def aggregate_max(self, value, kind: Kind) -> exp.Expression:
        return exp.Max(this=self.code_points(value) if kind is Kind.STRING else value)


def _zero(kind: Kind) -> exp.Expression:
    return exp.Literal.number(0) if kind is Kind.INT else double(exp.Literal.number("0.0"))


def _empty_aggregate(node: ir.Aggregate) -> exp.Expression | None:
    """What a customer without rows has: counts and sums are zero, the others null."""
    return _zero(node.type.kind) if node.func in ("count", "count_distinct", "sum") else None


def _settled(node: ir.Aggregate, value: exp.Expression) -> exp.Expression:
    """An aggregate's column after the join: a customer without rows gets its empty value, and a
    whole sum (exact in DECIMAL) is null beyond 64 bits (sql_limits.py)."""
    empty = _empty_aggregate(node)
    if node.func == "sum" and node.type.kind is Kind.INT:
        return sql_limits.whole(exp.Coalesce(this=value, expressions=[sql_limits.wide(empty)]))
    return value if empty is None else exp.Coalesce(this=value, expressions=[empty])


# ---- the query ----

class _Query:
    """The CTE chain from the input tables to the definitions a query computes, built once."""

    def __init__(self, plan: Plan, params: dict, opts: SqlOptions):
        self.plan, self.rs, self.opts = plan, plan.ruleset, opts
        self.segments = SegmentSpelling(self.rs, opts.segment_indexes)
        self.values = _Expressions(params, opts, self.segments)

    # -- inputs --
    def input_select(self, schema: ir.InputSchema) -> exp.Select:
        used = set(self.plan.columns.get(schema.name, ()))
        fields = [f for f in schema.fields if f.name in used]
        source = source_table(self.opts.table(schema.name))
        if self.opts.prepared:
            cols = [col(f.name) for f in fields] + ([col(ORDER)] if self.opts.ordered else [])
            if not schema.is_related and schema.key is None:
                cols.insert(0, col(ROW))
            cols += [col(keep_column(i)) for i in range(len(self.opts.keep))] if not schema.is_related else []
            return _select(*cols).from_(source, copy=False)
        cols = [_alias(self.field_value(f), ident(f.name)) for f in fields]
        if self.opts.reasons and not schema.is_related:
            from .sql_reasons import REASON, reason_column
            cols.append(_alias(reason_column(schema), ident(REASON)))
        if not schema.is_related:
            if schema.key is None:
                row = col(self.opts.row_column) if self.opts.row_column else exp.Window(this=exp.RowNumber())
                cols.insert(0, _alias(row, ident(ROW)))
            for i, (_, data_col) in enumerate(self.opts.keep):
                cols.append(_alias(exp.Cast(this=col(data_col), to=sql_type("VARCHAR")),
                                       ident(keep_column(i))))
        return _select(*cols).from_(source, copy=False)

    @staticmethod
    def field_value(f: ir.FieldSchema) -> exp.Expression:
        """A data column as the field's value: enum data values mapped to member names, the default
        for an empty cell."""
        value: exp.Expression = without_missing(f, col(f.column))
        if f.type.kind is Kind.ENUM:
            value = exp.Case(this=value, ifs=[exp.If(this=exp.Literal.string(m.value), true=exp.Literal.string(m.name))
                                              for m in f.type.enum.members])
        if f.has_default and f.default is not None:
            value = exp.Coalesce(this=value, expressions=[literal(f.default, f.type.kind)])
        return value

    # -- definitions --
    def steps(self, definitions) -> tuple[list[list[exp.Expression]], dict[str, int]]:
        """The definitions' columns, one step per level of reading: a definition joins the first
        step after everything it reads, so independent definitions share a step and the chain
        of CTEs is as long as the longest chain of definitions, not their number (Spark's
        analyser resolves one nested CTE per iteration). Also returns, for each definition,
        the number of steps after which it is there."""
        out: list[list[exp.Expression]] = []
        done: dict[str, int] = {}                 # name → the step whose output holds it
        aggregates = {a.name: a.node for a in self.plan.aggregates}
        for d in definitions:                     # dependency order
            start = max((done[m] for m in references(definition_exprs(d), aggregates) if m in done), default=0)
            parts = [[_alias(self.values.sql(d.expr), ident(d.name))]] if isinstance(d, ir.Let) \
                else self.dimension(d)
            for j, cols in enumerate(parts):
                while len(out) <= start + j:
                    out.append([])
                out[start + j].extend(cols)
            done[d.name] = start + len(parts)
        return out, done

    def dimension(self, d: ir.Dimension) -> list[list[exp.Expression]]:
        """The dimension's columns, in one step or, for `unique`, two: first the first match and
        the conflict, then the value others read, which for a conflict equals no segment (as
        the interpreter's conflict value) and is not null."""
        if d.policy != "unique" or not d.segments:
            return [self.dimension_columns(d)]
        first, conflict = self.dimension_columns(d)
        i = [x.name for x in self.rs.dimensions].index(d.name)
        value = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=col(conflict_column(self.rs, d)),
                                                                  expression=exp.Null())),
                                     true=self.segments.conflict())],
                         default=col(first_column(i)))
        return [[_alias(first.this, ident(first_column(i))), conflict], [_alias(value, ident(d.name))]]

    def dimension_columns(self, d: ir.Dimension) -> list[exp.Expression]:
        conds = [self.values.sql(s.condition) for s in d.segments]
        if d.policy == "all":
            if not d.segments:
                return [_alias(self.segments.empty_list(), ident(d.name))]
            arr = string_array([exp.Case(ifs=[exp.If(this=c, true=self.segments.one(d.name, s.name))])
                                for c, s in zip(conds, d.segments)])
            return [_alias(non_null(arr), ident(d.name))]
        default = self.segments.one(d.name, d.otherwise.name) if d.otherwise else exp.Null()
        if not d.segments:
            return [_alias(default, ident(d.name))]
        value = exp.Case(ifs=[exp.If(this=c, true=self.segments.one(d.name, s.name))
                              for c, s in zip(conds, d.segments)], default=default)
        out = [_alias(value, ident(d.name))]
        if d.policy == "unique":
            out.append(_alias(self.conflict_reason(d, conds), ident(conflict_column(self.rs, d))))
        return out

    @staticmethod
    def conflict_reason(d: ir.Dimension, conds: list[exp.Expression]) -> exp.Expression:
        hits = [exp.Case(ifs=[exp.If(this=c.copy(), true=exp.Literal.number(1))], default=exp.Literal.number(0))
                for c in conds]
        count = hits[0]
        for h in hits[1:]:
            count = exp.Add(this=count, expression=h)
        names = [exp.Case(ifs=[exp.If(this=c.copy(), true=exp.Literal.string(s.name))])
                 for c, s in zip(conds, d.segments)]
        reason = exp.Concat(expressions=[
            exp.Literal.string("matches "),
            exp.ConcatWs(expressions=[exp.Literal.string(", "), *names], coalesce=True),   # nulls skipped
            exp.Literal.string(f" in `unique` dimension `{d.name}` (at most one may match)")])
        return exp.Case(ifs=[exp.If(this=exp.GT(this=count, expression=exp.Literal.number(1)), true=reason)])

    # -- the chain --
    def chain(self, definitions, extra: list[ir.Expr] = ()) -> tuple[list[tuple[str, exp.Expression]], str]:
        """The CTEs from the inputs up to the given definitions (and what `extra` reads);
        returns them and the last one's name. Only the aggregates and statistics these read
        are computed and joined."""
        rs, pinned = self.rs, self.plan.pinned
        computed = [e for d in definitions if not (isinstance(d, ir.Let) and d.name in pinned)
                    for e in definition_exprs(d)] + list(extra)
        steps, done = self.steps(definitions)
        ctes: list[tuple[str, exp.Expression]] = []
        base = "customer_in"
        if rs.customer is not None:
            ctes.append(("customer_in", self.input_select(rs.customer)))
        ctes += [(f"{r.name}_in", self.input_select(r)) for r in rs.related]
        if rs.related:
            read = set(aggregates_read(computed))
            aggregates = [a for a in self.plan.aggregates if a.name in read]
            ctes += self.aggregate_ctes(aggregates)
            ctes += self.customer_keys()
            ctes.append(("customers", self.customers(aggregates)))
            base = "customers"
        stats = stats_read(computed, {a.name: a.node for a in self.plan.aggregates})
        keyed = sorted(i for i in stats if i not in self.values.lookups)
        if keyed:
            ctes.append(("with_population", self.with_population(base, keyed)))
            base = "with_population"
        ready = self.lookup_steps([i for i in self.plan.live_stats if i in stats and i in self.values.lookups],
                                  done)
        previous = base
        for i in range(len(steps) + 1):
            for s, ids in enumerate(ready.get(i, ())):
                lookup = self.lookup_ctes(previous, ids, f"lookup_{i}_{s}")
                ctes += lookup
                previous = lookup[-1][0]
            if i < len(steps):
                name = f"step_{i + 1}"
                ctes.append((name, _select(exp.Star(), *steps[i]).from_(table(previous), copy=False)))
                previous = name
        return ctes, previous

    def lookup_steps(self, ids: list[int], done: dict[str, int]) -> dict[int, list[list[int]]]:
        """Where in the chain each statistic computed in the query is looked up: before the first
        step after everything its argument and groups read (so before any definition that reads
        it, which reads all that too: `steps`), those of one stage together, stage by stage (a
        later stage's argument may read an earlier one's value)."""
        aggregates = {a.name: a.node for a in self.plan.aggregates}
        stage = {pid: s for s, ids_ in enumerate(self.plan.stages) for pid in ids_}
        out: dict[int, dict[int, list[int]]] = {}
        for pid in ids:
            at = max((done[m] for m in references([self.rs.population[pid]], aggregates) if m in done), default=0)
            out.setdefault(at, {}).setdefault(stage[pid], []).append(pid)
        return {at: [by_stage[s] for s in sorted(by_stage)] for at, by_stage in out.items()}

    def sources(self, ids: list[int]) -> dict[int, int]:
        """Each statistic → the first of `ids` whose argument and groups are the same SQL (sqlglot
        trees compare by structure; rendering them would need the dialect of segdsl's own nodes)."""
        first: dict[tuple[exp.Expression, ...], int] = {}
        return {pid: first.setdefault(tuple(self.values.sql(x) for x in (n.arg, *n.by)), pid)
                for pid in ids for n in [self.rs.population[pid]]}

    def lookup_ctes(self, previous: str, ids: list[int], name: str) -> list[tuple[str, exp.Expression]]:
        """The chain's rows so far with the values of statistics `ids`: their arguments and groups
        computed on each row (once for those that share them), then looked up in the
        statistics' small tables (population_sql)."""
        cols = []
        for pid in dict.fromkeys(self.values.lookups[i].source for i in ids):
            n = self.rs.population[pid]
            cols.append(_alias(self.values.sql(n.arg), ident(f"__arg_{pid}")))
            cols += [_alias(self.values.sql(b), ident(f"__by_{pid}_{j}")) for j, b in enumerate(n.by)]
        args = _select(exp.Star(), *cols).from_(table(previous), copy=False)
        rows = _select(exp.Column(this=exp.Star(), table=ident("a"))).from_(table(f"{name}_args", "a"), copy=False)
        looked = look_up(rows, [self.values.lookups[pid] for pid in ids], population_column)
        return [(f"{name}_args", args), (name, looked)]

    def aggregate_ctes(self, aggregates) -> list[tuple[str, exp.Expression]]:
        out = []
        for r in self.rs.related:
            columns = [_alias(self.values.aggregate(a.node), ident(aggregate_column(a.name)))
                       for a in aggregates if a.node.related == r.name]
            out.append((f"{r.name}_agg", _select(col(r.key), *columns).from_(table(f"{r.name}_in"), copy=False)
                        .group_by(col(r.key), copy=False)))
        return out

    def customer_keys(self) -> list[tuple[str, exp.Expression]]:
        """Without a customer input, the customers are the keys found in any related input."""
        rs = self.rs
        if rs.customer is not None:
            return []
        first = rs.related[0]
        parts = []
        for i, r in enumerate(rs.related):
            sel = _select(col(r.key).as_(ident(first.key)))
            if self.opts.ordered:     # the first input's order, then new keys of the next input
                sel = sel.select(_alias(exp.Add(this=col(ORDER), expression=exp.Literal.number(i * 10**12)),
                                        ident(ORDER)), copy=False)
            parts.append(sel.from_(table(f"{r.name}_in"), copy=False))
        rows = exp.union(*parts, distinct=False, copy=False) if len(parts) > 1 else parts[0]
        keys = _select(col(first.key)).from_(exp.Subquery(this=rows, alias=exp.TableAlias(this=ident("k"))), copy=False) \
            .group_by(col(first.key), copy=False)
        if self.opts.ordered:
            keys = keys.select(_alias(exp.Min(this=col(ORDER)), ident(ORDER)), copy=False)
        return [("customer_keys", keys)]

    def customers(self, aggregates) -> exp.Select:
        """Every customer with its aggregates (a customer without rows gets each one's empty value)."""
        rs = self.rs
        source = "customer_in" if rs.customer is not None else "customer_keys"
        sel = _select(exp.Column(this=exp.Star(), table=ident("c"))).from_(table(source, "c"), copy=False)
        for r in rs.related:
            alias = f"a_{r.name}"
            for a in aggregates:
                if a.node.related != r.name:
                    continue
                value = col(aggregate_column(a.name), alias)
                value = _settled(a.node, value)
                sel = sel.select(_alias(value, ident(aggregate_column(a.name))), copy=False)
            sel = sel.join(table(f"{r.name}_agg", alias), join_type="left",
                           on=exp.EQ(this=col(r.key, alias), expression=col(rs.key, "c")), copy=False)
        return sel

    def with_population(self, base: str, stats: list[int]) -> exp.Select:
        """The customers with the values of `stats`, each table of values joined once by key (a
        stage's statistics computed in the query share one)."""
        key = self.rs.key
        sel = _select(exp.Column(this=exp.Star(), table=ident("c"))).from_(table(base, "c"), copy=False)
        aliases: dict[str, str] = {}
        for i in stats:
            self.values.visit_PopulationStat(self.rs.population[i])      # refuses a statistic not computed
            source = self.values.population[i]
            alias = aliases.get(source)
            if alias is None:
                alias = aliases[source] = f"p{i}"
                sel = sel.join(source_table(source, alias), join_type="left",
                               on=exp.EQ(this=col(key, alias), expression=col(key, "c")), copy=False)
            column = self.values.population_columns.get(i, VALUE)
            sel = sel.select(_alias(col(column, alias), ident(population_column(i))), copy=False)
        return sel

    # -- population values computed in the query --
    def inline_population(self) -> list[tuple[str, exp.Expression]]:
        """Every live statistic the options name no results table for, as CTEs: per stage, the
        customers' arguments (the stage's own chain, its CTE names prefixed), then each
        statistic's tables (population_sql.py: a row per group or distinct value), which the
        chain looks each row up in (`lookup_ctes`), or its frozen values baked in
        (population_frozen.py), read as results tables are, by key."""
        done = dict(self.values.population)
        if all(pid in done for pid in self.plan.live_stats):
            return []
        rs = self.rs
        if rs.customer is not None and not rs.customer.key and not self.opts.prepared and not self.opts.row_column:
            raise NotSupported("population values need each customer found again by its key, and this input has "
                               "none: `ROW_NUMBER() OVER ()` may number the rows differently each time it is read",
                               rs.customer.span, help="declare the input's key (`input customer key ...`)")
        from .population_frozen import frozen_ctes
        ctes: list[tuple[str, exp.Expression]] = []
        for s, stage in enumerate(self.plan.stages):
            todo = [pid for pid in stage if pid not in done]
            if not todo:
                continue
            opts = replace(self.opts, population=tuple(sorted(done.items())),
                           population_columns=tuple(sorted(self.values.population_columns.items())),
                           labels=False, attributes=False,
                           sort=False, tables={**self.opts.tables, **self.opts.statistics_tables})
            query = _Query(self.plan, self.values.params, opts)
            query.values.lookups.update(self.values.lookups)
            args = query.population_args(todo)
            inner, body = _flattened(args, f"__segdsl_s{s}_")
            name = f"__segdsl_args_{s}"
            ctes += inner + [(name, body)]
            computed = [pid for pid in todo if pid not in self.opts.frozen]
            for pid in todo:
                if pid in self.opts.frozen:
                    ctes += frozen_ctes(rs.population[pid], self.opts.frozen[pid], name, rs.key)
                    done[pid] = population_table(pid)
            if computed:
                tables, stats = stage_stats([rs.population[pid] for pid in computed], name, rs.key,
                                            self.values.functions, sources=query.sources(computed))
                ctes += tables
                self.values.lookups.update((stat.node.id, stat) for stat in stats)
        self.values.population.update(done)
        return ctes

    # -- the two queries --
    def select(self) -> exp.Select:
        rs = self.rs
        population = self.inline_population()
        ctes, last = self.chain(self.plan.definitions)
        ctes = population + ctes
        final = [col(rs.key)] + [self.output_value(d) for d in rs.dimensions]
        if self.opts.labels:
            final += self.label_columns()
        if self.opts.attributes:
            final += self.attribute_columns()
        final += [_alias(col(keep_column(i)), ident(out)) for i, (out, _) in enumerate(self.opts.keep)]
        final += [col(c) for c in conflict_columns(rs)]
        if self.opts.reasons and rs.customer is not None:
            from .sql_reasons import REASON
            final.append(col(REASON))
        if self.opts.ordered:
            final.append(col(ORDER))
        query = _select(*final).from_(table(last), copy=False)
        if self.opts.ordered and self.opts.sort:
            query = query.order_by(col(ORDER), copy=False)
        return _with(query, ctes)

    def population_args(self, ids) -> exp.Select:
        """Each customer's key and the arguments (value, `by` groups) of these population stats."""
        nodes = [self.rs.population[i] for i in ids]
        exprs = [x for n in nodes for x in (n.arg, *n.by)]
        names = {d.name for i in ids for d in self.plan.stat_definitions[i]}
        definitions = [d for d in self.rs.definitions if d.name in names]
        ctes, last = self.chain(definitions, exprs)
        cols = [col(self.rs.key)]
        for n in nodes:
            cols.append(_alias(self.values.sql(n.arg), ident(f"__arg_{n.id}")))
            cols += [_alias(self.values.sql(b), ident(f"__by_{n.id}_{j}")) for j, b in enumerate(n.by)]
        return _with(_select(*cols).from_(table(last), copy=False), ctes)

    # -- output columns --
    def output_value(self, d: ir.Dimension) -> exp.Expression:
        """A conflicting customer has no segment in the output (its conflict column says why)."""
        if d.policy != "unique" or not d.segments:
            return col(d.name)
        return _alias(self.segments.output(col(d.name)), ident(d.name))

    def label_columns(self) -> list[exp.Expression]:
        cols = []
        for d in self.rs.dimensions:
            labels = {s.name: (s.label if s.label is not None else s.name) for s in d.all_segments()}
            cols.append(_alias(self.mapped(d, lambda s: labels[s.name]), ident(f"{d.name}_label")))
        return cols

    def attribute_columns(self) -> list[exp.Expression]:
        from .layout import attribute_keys, attribute_values
        cols = []
        for d in self.rs.dimensions:
            for k in attribute_keys(d):
                values = {s.name: attribute_values(d, s).get(k) for s in d.all_segments()}
                m = self.mapped(d, lambda s: values[s.name])
                cols.append(_alias(m, ident(f"{d.name}_{k}")))
        return cols

    def mapped(self, d: ir.Dimension, value) -> exp.Expression:
        """A per-segment constant of the dimension's value (a list of them for `all`)."""
        one = self.segments.one
        if d.policy == "all":
            if not d.segments:
                return empty_text_array()
            arr = string_array([exp.Case(ifs=[exp.If(
                this=exp.ArrayContains(this=col(d.name), expression=one(d.name, s.name)),
                true=literal(value(s)))]) for s in d.segments])
            return non_null(arr)
        ifs = [exp.If(this=one(d.name, s.name), true=literal(value(s)))
               for s in d.all_segments() if value(s) is not None]
        return exp.Case(this=col(d.name), ifs=ifs) if ifs else exp.Null()


def _flattened(query: exp.Select, prefix: str) -> tuple[list[tuple[str, exp.Expression]], exp.Select]:
    """A query's CTEs, renamed with `prefix`, and its body without them, so that they can join
    another query's one WITH (no nested WITH: not every dialect takes one inside a CTE)."""
    w = query.args.get("with_")
    if w is None:
        return [], query
    query.set("with_", None)
    names = {cte.alias: prefix + cte.alias for cte in w.expressions}

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.meta.get(SOURCE) and node.name in names and not node.args.get("db"):
            node.set("this", ident(names[node.name]))
        return node
    ctes = [(names[cte.alias], cte.this.transform(rename, copy=False)) for cte in w.expressions]
    return ctes, query.transform(rename, copy=False)


def _with(query: exp.Select, ctes) -> exp.Select:
    for name, sel in ctes:
        query = query.with_(ident(name), as_=sel, copy=False)
    return query


def _plan(plan: Plan | ir.Ruleset) -> Plan:
    return plan if isinstance(plan, Plan) else build_plan(plan)


# Dialects that match quoted names without regard to case: `"Spend"` and `"spend"` are one
# column there, so a query naming both would read one of them for the other (SQL Server under
# its default, case-insensitive collation).
CASE_FOLDING = frozenset({"duckdb", "bigquery", "mysql", "sqlite", "tsql"})


def build_query(plan: Plan, params: dict, opts: SqlOptions = SqlOptions()) -> exp.Select:
    """The segmentation query: one row per customer, the key, the dimensions and the
    columns `opts` asks for."""
    return _Query(_plan(plan), params, opts).select()


def refuse_names_differing_in_case(rs: ir.Ruleset, dialect: str) -> None:
    """For a dialect in CASE_FOLDING, SEG501 at the later of two names one table would hold that differ only in case (the
    customer's fields, lets and dimensions share one row; each related input has its own)."""
    namespaces = [[(f.name, f.span) for f in r.fields] for r in rs.related]
    namespaces.append([(f.name, f.span) for f in (rs.customer.fields if rs.customer else ())]
                      + [(d.name, d.span) for d in rs.definitions])
    if dialect not in CASE_FOLDING:
        return
    for names in namespaces:
        seen: dict[str, str] = {}
        for name, span in names:
            other = seen.setdefault(name.casefold(), name)
            if other != name:
                raise NotSupported(f"`{name}` and `{other}` differ only in case, and {dialect} does not tell "
                                   f"names apart by case", span,
                                   help=f"rename one of them, or run it on another engine (python or spark)")


def population_query(plan: Plan, params: dict, stage_ids, opts: SqlOptions = SqlOptions()) -> exp.Select:
    """The query an engine runs for one population stage: every customer's arguments of these
    statistics (`__arg_ID`, `__by_ID_J`), which may read statistics of earlier stages (given in
    `opts.population`)."""
    return _Query(_plan(plan), params, opts).population_args(list(stage_ids))


# ---- transforms an engine applies to a built query ----

def without_order_by(tree: exp.Select) -> exp.Select:
    """The same query unsorted (where the scan order already holds)."""
    out = tree.copy()
    out.set("order", None)
    return out


def with_tables(tree: exp.Expression, names: Mapping[str, str | tuple[str, ...]]) -> exp.Expression:
    """The same query reading other tables: each table called `old` in `names` (input tables,
    population result tables) read as `names[old]`; the query's own CTEs are left alone, even
    one that has the same name as an input table."""
    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.meta.get(SOURCE) and node.name in names:
            return source_table(names[node.name], node.alias or None)
        return node
    return tree.transform(rename)


def as_create(tree: exp.Expression, kind: str, name: str | tuple[str, ...]) -> exp.Expression:
    """CREATE VIEW name AS ... / CREATE TABLE name AS ... (`kind`: view or table; `name` may be
    qualified)."""
    return exp.Create(this=table(name), kind=kind.upper(), expression=tree)


# ---- text ----

def to_sql(plan: Plan | ir.Ruleset, params: dict, dialect: str = "duckdb",
           tables: Mapping[str, str | tuple[str, ...]] | None = None,
           labels: bool = False, attributes: bool = False, pretty: bool = True,
           keep: tuple[tuple[str, str], ...] = (), row_column: str | None = None, prepared: bool = False,
           population: dict[int, str] | None = None, ordered: bool = False, sort: bool = True,
           create: tuple[str, str | tuple[str, ...]] | None = None, functions: tuple[str, ...] = (),
           frozen: Mapping[int, Any] | None = None, reasons: bool = False) -> str:
    """The segmentation query as text. `create` = ("view" | "table", name): the SELECT wrapped
    in CREATE VIEW / CREATE TABLE AS. `functions`: the engine functions (EXACT_SUM, ...) the
    connection has, used instead of the database's own. `frozen`: population values from a
    stats file (service/stats.load) by stat id, baked into the query instead of computed."""
    with collector.paused():
        return _to_sql(_plan(plan), params, dialect, tables, labels, attributes, pretty, keep, row_column, prepared,
                       population, ordered, sort, create, functions, frozen, reasons)


def _to_sql(plan: Plan, params, dialect, tables, labels, attributes, pretty, keep, row_column, prepared,
            population, ordered, sort, create, functions, frozen, reasons=False) -> str:
    refuse_names_differing_in_case(plan.ruleset, dialect)
    opts = SqlOptions(tables=dict(tables or {}), labels=labels, attributes=attributes, keep=tuple(keep),
                      row_column=row_column, prepared=prepared, population=tuple(sorted((population or {}).items())),
                      ordered=ordered, sort=sort, functions=tuple(functions), frozen=dict(frozen or {}),
                      reasons=reasons)
    query: exp.Expression = build_query(plan, params, opts)
    if create is not None:
        query = as_create(query, *create)
    return _rendered(plan, query, dialect, pretty)


def _rendered(plan: Plan, tree: exp.Expression, dialect: str, pretty: bool) -> str:
    """`render` of a tree built for this one text (so not copied first), a refusal of a name
    pointed at the rule the name comes from."""
    try:
        return render(tree, dialect, pretty, copy=False)
    except NameRefused as exc:
        spans = [s for s in (_span_of_name(plan.ruleset, n) for n in exc.names) if s is not None]
        raise NotSupported(exc.diagnostic.message, spans[0] if spans else None, exc.diagnostic.help) from None


def _span_of_name(rs: ir.Ruleset, name: str):
    """The let, dimension or field called `name`, or the dimension a `<dimension>_<attribute>`
    or `<dimension>_label` column belongs to."""
    inputs = ([rs.customer] if rs.customer else []) + list(rs.related)
    named = [(d.name, d.span) for d in rs.definitions] + [(n, f.span) for s in inputs for f in s.fields
                                                          for n in (f.name, f.column)]
    exact = next((span for n, span in named if n == name), None)
    if exact is not None:
        return exact
    return next((d.span for d in rs.dimensions if name.startswith(d.name + "_")), None)
