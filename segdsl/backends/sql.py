"""The SQL backend: the IR → one sqlglot SELECT, rendered for any dialect.

The query reads named input tables whose columns are the data columns of
the rule file's inputs (`from "..."` names), so it can run inside an ETL
job's own warehouse. It is built as a sqlglot expression tree: rule-file
text only ever becomes a sqlglot literal or a quoted identifier, so nothing
in a rule file can change the query's shape.

Shape:
    WITH customer_in AS (SELECT data columns AS fields, enums mapped to member
                         names, defaults applied FROM <customer table>),
         orders_agg  AS (SELECT key, aggregates ... GROUP BY key),   -- per related input
         step_1 AS (SELECT *, <let or dimension> AS name FROM ...), ...
    SELECT key, dimension columns [, labels, attributes] FROM step_n

SQL's three-valued logic is the language's (LANGUAGE.md §6), so conditions
translate one to one; `/` becomes a DOUBLE division by NULLIF(b, 0); every
number literal is a DOUBLE or BIGINT so that arithmetic is IEEE like the
other engines, never DECIMAL.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlglot import exp

from .. import ir
from ..types import Kind

CONFLICT = "__segdsl_conflict"
ROW = "_row"
# What a conflicting `unique` dimension holds for the dimensions and lets that read it: equal
# to no segment (no segment name has parentheses) and not null, like the interpreter's value.
CONFLICT_VALUE = "(conflict)"
ORDER = "__segdsl_order"     # engines' input order, so every engine writes customers in the same order
# Functions an engine registers on its connection where the database's own differ from the
# language (engines/population_pass.py for DuckDB, engines/spark.py); see SqlOptions.functions.
EXACT_SUM = "__segdsl_fsum"      # an array of numbers → math.fsum of those not null (exact)
FULL_UPPER = "__segdsl_upper"    # str.upper: full case mapping (ß → SS)
FULL_LOWER = "__segdsl_lower"    # str.lower: full case mapping (final sigma, İ → i̇)


class NotSupported(Exception):
    """A construct this backend cannot express yet; the message says which."""


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def double(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=e, to=exp.DataType.build("DOUBLE"))


def literal(v, kind: Kind | None = None) -> exp.Expression:
    if v is None:
        return exp.Null()
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, int) and kind is not Kind.NUMBER:
        return exp.Literal.number(v)
    if isinstance(v, (int, float)):
        return double(exp.Literal.number(repr(float(v))))
    if isinstance(v, str):
        return exp.Literal.string(v)
    if isinstance(v, dt.datetime):
        return exp.Cast(this=exp.Literal.string(v.isoformat(sep=" ")), to=exp.DataType.build("TIMESTAMP"))
    if isinstance(v, dt.date):
        return exp.Cast(this=exp.Literal.string(v.isoformat()), to=exp.DataType.build("DATE"))
    raise NotSupported(f"no SQL literal for {type(v).__name__}")


def string_array(items: list[exp.Expression]) -> exp.Expression:
    return exp.Array(expressions=items)


def add_days(x: exp.Expression, days: exp.Expression, kind: Kind) -> exp.Expression:
    """Date or datetime plus whole days; a datetime keeps its time of day (TimestampAdd),
    and the day count is an INT, which some dialects (Spark) insist on."""
    n = exp.Cast(this=days, to=exp.DataType.build("INT"))
    if kind is Kind.DATETIME:
        return exp.TimestampAdd(this=x, expression=n, unit=exp.var("DAY"))
    return exp.DateAdd(this=x, expression=n, unit=exp.var("DAY"))


def empty_text_array() -> exp.Expression:
    return exp.Cast(this=exp.Array(expressions=[]), to=exp.DataType.build("ARRAY<VARCHAR>"))


def non_null(array: exp.Expression) -> exp.Expression:
    x = exp.to_identifier("x")
    return exp.ArrayFilter(this=array, expression=exp.Lambda(
        this=exp.Not(this=exp.Is(this=x.copy(), expression=exp.Null())), expressions=[x]))


def _sql_type(kind: Kind) -> str:
    return {Kind.INT: "BIGINT", Kind.NUMBER: "DOUBLE", Kind.BOOL: "BOOLEAN", Kind.STRING: "VARCHAR",
            Kind.DATE: "DATE", Kind.DATETIME: "TIMESTAMP", Kind.ENUM: "VARCHAR"}[kind]


@dataclass(frozen=True)
class SqlOptions:
    tables: dict[str, str]           # input name → table name in the warehouse
    labels: bool = False
    attributes: bool = False
    keep: tuple[tuple[str, str], ...] = ()   # (output column, customer data column)
    row_column: str | None = None    # keyless input: the column holding the 1-based row number
    prepared: bool = False           # input tables already hold validated fields by field name
    population: tuple[tuple[int, str], ...] = ()   # population stat id → table (key, value) of its results
    ordered: bool = False            # prepared tables carry ORDER; the result carries it too
    sort: bool = True                # ... and is sorted by it (not needed where the scan order holds)
    dialect: str = "duckdb"
    functions: tuple[str, ...] = ()  # which of EXACT_SUM, FULL_UPPER, FULL_LOWER the connection has


class SqlCompiler:
    def __init__(self, rs: ir.Ruleset, params: dict, opts: SqlOptions):
        self.rs, self.params, self.opts = rs, params, opts
        self.pop_tables = dict(opts.population)
        self.aggregates: dict[str, list[tuple[str, ir.Aggregate]]] = {r.name: [] for r in rs.related}
        self.current: str | None = None        # the relation being selected from

    # ---- inputs ----
    def input_select(self, schema: ir.InputSchema) -> exp.Select:
        table = self.opts.tables[schema.name]
        if self.opts.prepared:
            cols = [col(f.name) for f in schema.fields] + ([col(ORDER)] if self.opts.ordered else [])
            if not schema.is_related and schema.key is None:
                cols.insert(0, col(ROW))
            cols += [col(keep_column(i)) for i in range(len(self.opts.keep))] if not schema.is_related else []
            return exp.select(*cols).from_(exp.Table(this=ident(table)))
        cols = []
        for f in schema.fields:
            src: exp.Expression = col(f.column)
            if f.type.kind is Kind.ENUM:
                src = exp.Case(this=src, ifs=[exp.If(this=exp.Literal.string(m.value), true=exp.Literal.string(m.name))
                                              for m in f.type.enum.members])
            if f.has_default and f.default is not None:
                src = exp.Coalesce(this=src, expressions=[literal(f.default, f.type.kind)])
            cols.append(exp.alias_(src, ident(f.name)))
        if not schema.is_related:
            if schema.key is None:
                row = col(self.opts.row_column) if self.opts.row_column else exp.Window(this=exp.RowNumber())
                cols.insert(0, exp.alias_(row, ident(ROW)))
            for i, (_, data_col) in enumerate(self.opts.keep):
                cols.append(exp.alias_(exp.Cast(this=col(data_col), to=exp.DataType.build("VARCHAR")),
                                       ident(keep_column(i))))
        return exp.select(*cols).from_(exp.Table(this=ident(table)))

    # ---- expressions ----
    def expr(self, e: ir.Expr) -> exp.Expression:
        match e:
            case ir.Const(value=v):
                if e.type.kind is Kind.LIST:
                    return exp.Tuple(expressions=[self.expr(i) for i in v])
                if e.type.kind is Kind.TAGS:
                    return string_array([exp.Literal.string(s) for s in v])
                return literal(v, e.type.kind)
            case ir.FieldRef(name=n) | ir.LetRef(name=n) | ir.DimRef(name=n):
                return col(n)
            case ir.RowFieldRef(name=n):
                return col(n)
            case ir.ParamRef(name=n):
                return literal(self.params[n], e.type.kind)
            case ir.Arith(op=op, left=l, right=r):
                a, b = self.expr(l), self.expr(r)
                if op in ("date_add", "date_sub"):
                    return add_days(a, b if op == "date_add" else exp.Neg(this=b), l.type.kind)
                if op == "div":
                    return exp.Div(this=double(a), expression=exp.Nullif(this=double(b), expression=exp.Literal.number(0)))
                cls = {"add": exp.Add, "sub": exp.Sub, "mul": exp.Mul}[op]
                return exp.Paren(this=cls(this=a, expression=b))
            case ir.Neg(operand=o):
                return exp.Neg(this=exp.Paren(this=self.expr(o)))
            case ir.Compare(op=op, left=l, right=r):
                if l.type.kind is Kind.TAGS:
                    return self.tags_compare(op, l, r)
                cls = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
                a, b = self.expr(l), self.expr(r)
                if op not in ("=", "!=") and l.type.kind is Kind.STRING:
                    a, b = self.code_points(a), self.code_points(b)
                return cls(this=a, expression=b)
            case ir.Between(operand=o, low=lo, high=hi, negated=neg):
                x, a, c = self.expr(o), self.expr(lo), self.expr(hi)
                if o.type.kind is Kind.STRING:
                    x, a, c = self.code_points(x), self.code_points(a), self.code_points(c)
                b = exp.Between(this=x, low=a, high=c)
                return exp.Not(this=exp.Paren(this=b)) if neg else b
            case ir.InList(operand=o, items=items, negated=neg):
                i = exp.In(this=self.expr(o), expressions=[self.expr(x) for x in items])
                return exp.Not(this=exp.Paren(this=i)) if neg else i
            case ir.InTags(segment=s, dimension=d, negated=neg):
                c = exp.ArrayContains(this=col(d), expression=exp.Literal.string(s))
                return exp.Paren(this=exp.Not(this=c) if neg else c)
            case ir.IsNull(operand=o, negated=neg):
                i = exp.Is(this=self.expr(o), expression=exp.Null())
                return exp.Not(this=exp.Paren(this=i)) if neg else i
            case ir.And(items=items):
                return exp.Paren(this=exp.and_(*[self.expr(i) for i in items], wrap=True))
            case ir.Or(items=items):
                return exp.Paren(this=exp.or_(*[self.expr(i) for i in items], wrap=True))
            case ir.Not(operand=o):
                return exp.Not(this=exp.Paren(this=self.expr(o)))
            case ir.Case(whens=whens, else_=els):
                return exp.Case(ifs=[exp.If(this=self.expr(c), true=self.expr(v)) for c, v in whens],
                                default=self.expr(els) if els is not None else None)
            case ir.Func(name=name, args=args):
                return self.func(name, [self.expr(a) for a in args], args)
            case ir.Aggregate():
                return self.aggregate_ref(e)
            case ir.PopulationStat(id=i):
                self.pop_table(i)
                return col(population_column(i))
        raise NotSupported(f"{type(e).__name__} is not supported by the SQL backend")

    def pop_table(self, i: int) -> str:
        if i not in self.pop_tables:
            raise NotSupported(f"population function `{self.rs.population[i].func}` needs its values computed "
                               f"first: the engines do it (DuckDB, Spark); as warehouse SQL it is not supported yet")
        return self.pop_tables[i]

    def code_points(self, e: exp.Expression) -> exp.Expression:
        """Text ordered by code point, as every engine orders it, whatever the database's collation.
        Parenthesized: PostgreSQL's grammar takes no COLLATE in a BETWEEN bound without them."""
        if self.opts.dialect in ("postgres", "redshift"):
            return exp.Paren(this=exp.Collate(this=e, expression=exp.Identifier(this="C", quoted=True)))
        return e

    def tags_compare(self, op: str, l: ir.Expr, r: ir.Expr) -> exp.Expression:
        if not r.value:
            size = exp.Coalesce(this=exp.ArraySize(this=self.expr(l)), expressions=[exp.Literal.number(0)])
            cond = exp.EQ(this=size, expression=exp.Literal.number(0))
        else:
            cond = exp.EQ(this=self.expr(l), expression=self.expr(r))
        return exp.Paren(this=exp.Not(this=cond) if op == "!=" else cond)

    def func(self, name: str, a: list[exp.Expression], args: tuple[ir.Expr, ...]) -> exp.Expression:
        match name:
            case "coalesce":
                return exp.Coalesce(this=a[0], expressions=a[1:])
            case "lower":
                return self.own(FULL_LOWER, a[0]) if FULL_LOWER in self.opts.functions else exp.Lower(this=a[0])
            case "upper":
                return self.own(FULL_UPPER, a[0]) if FULL_UPPER in self.opts.functions else exp.Upper(this=a[0])
            case "trim":      # spaces only, as every engine agrees on (not all Unicode blanks)
                return exp.Trim(this=a[0], expression=exp.Literal.string(" "))
            case "length":
                return exp.Length(this=a[0])
            case "starts_with":
                return exp.StartsWith(this=a[0], expression=a[1])
            case "ends_with":
                return exp.EQ(this=exp.Right(this=a[0], expression=exp.Length(this=a[1].copy())), expression=a[1])
            case "contains":
                return exp.GT(this=exp.StrPosition(this=a[0], substr=a[1]), expression=exp.Literal.number(0))
            case "days_between":
                as_date = [exp.Cast(this=x, to=exp.DataType.build("DATE")) for x in a]
                return exp.DateDiff(this=as_date[1], expression=as_date[0], unit=exp.var("DAY"))
            case "year":
                return exp.Year(this=a[0])
            case "month":
                return exp.Month(this=a[0])
            case "day":
                return exp.Day(this=a[0])
            case "add_days":
                return add_days(a[0], a[1], args[0].type.kind)
            case "abs":
                return exp.Abs(this=a[0])
            case "to_datetime":
                return exp.Cast(this=a[0], to=exp.DataType.build("TIMESTAMP"))
        raise NotSupported(f"function {name}")

    @staticmethod
    def own(name: str, arg: exp.Expression) -> exp.Expression:
        """A call of a function the engine registered (SqlOptions.functions)."""
        return exp.Anonymous(this=name, expressions=[arg])

    # ---- related inputs ----
    def aggregate_ref(self, e: ir.Aggregate) -> exp.Expression:
        for x in ir.walk(e):
            if isinstance(x, (ir.FieldRef, ir.LetRef, ir.DimRef)):
                raise NotSupported("an aggregate that reads customer values (other than params) "
                                   "is not yet supported by the SQL backend")
        lst = self.aggregates[e.related]
        for name, other in lst:
            if other == e:
                return col(name)
        name = f"__agg_{e.related}_{len(lst)}"
        lst.append((name, e))
        return col(name)

    def aggregate_expr(self, e: ir.Aggregate) -> exp.Expression:
        cond = self.expr(e.where) if e.where is not None else None
        arg = self.expr(e.arg) if e.arg is not None else exp.Literal.number(1)
        val = exp.Case(ifs=[exp.If(this=cond, true=arg)]) if cond is not None else arg
        match e.func:
            case "count":
                return exp.Count(this=val)
            case "count_distinct":
                return exp.Count(this=exp.Distinct(expressions=[val]))
            case "sum":
                zero = exp.Literal.number(0) if e.type.kind is Kind.INT else double(exp.Literal.number("0.0"))
                exact = e.type.kind is Kind.NUMBER and EXACT_SUM in self.opts.functions   # BIGINT sums are exact
                total = self.own(EXACT_SUM, exp.ArrayAgg(this=val)) if exact else exp.Sum(this=val)
                return exp.Coalesce(this=total, expressions=[zero])
            case "avg":
                if EXACT_SUM in self.opts.functions:     # the exact sum over the count, as the interpreter divides
                    count = exp.Nullif(this=exp.Count(this=val.copy()), expression=exp.Literal.number(0))
                    return exp.Div(this=self.own(EXACT_SUM, exp.ArrayAgg(this=double(val))), expression=count)
                return exp.Avg(this=double(val))
            case "min":
                return exp.Min(this=self.code_points(val) if e.type.kind is Kind.STRING else val)
            case "max":
                return exp.Max(this=self.code_points(val) if e.type.kind is Kind.STRING else val)
        raise NotSupported(e.func)

    # ---- dimensions ----
    def dimension(self, d: ir.Dimension) -> list[list[exp.Expression]]:
        """The dimension's columns, in one step or, for `unique`, two: first the first match and
        the conflict, then the value others read, which for a conflict equals no segment (as
        the interpreter's conflict value) and is not null."""
        if d.policy != "unique" or not d.segments:
            return [self.dimension_columns(d)]
        first, conflict = self.dimension_columns(d)
        i = self.rs.dimensions.index(d)
        value = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=col(conflict_column(self.rs, d)),
                                                                  expression=exp.Null())),
                                     true=exp.Literal.string(CONFLICT_VALUE))],
                         default=col(first_column(i)))
        return [[exp.alias_(first.this, ident(first_column(i))), conflict], [exp.alias_(value, ident(d.name))]]

    def dimension_columns(self, d: ir.Dimension) -> list[exp.Expression]:
        conds = [self.expr(s.condition) for s in d.segments]
        if d.policy == "all":
            if not d.segments:
                return [exp.alias_(empty_text_array(), ident(d.name))]
            arr = string_array([exp.Case(ifs=[exp.If(this=c, true=exp.Literal.string(s.name))])
                                for c, s in zip(conds, d.segments)])
            return [exp.alias_(non_null(arr), ident(d.name))]
        default = exp.Literal.string(d.otherwise.name) if d.otherwise else exp.Null()
        if not d.segments:
            return [exp.alias_(default, ident(d.name))]
        value = exp.Case(ifs=[exp.If(this=c, true=exp.Literal.string(s.name)) for c, s in zip(conds, d.segments)],
                         default=default)
        out = [exp.alias_(value, ident(d.name))]
        if d.policy == "unique":
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
            out.append(exp.alias_(exp.Case(ifs=[exp.If(this=exp.GT(this=count, expression=exp.Literal.number(1)),
                                                       true=reason)]), ident(conflict_column(self.rs, d))))
        return out

    def output_value(self, d: ir.Dimension) -> exp.Expression:
        """A conflicting customer has no segment in the output (its conflict column says why)."""
        if d.policy != "unique" or not d.segments:
            return col(d.name)
        return exp.alias_(exp.Nullif(this=col(d.name), expression=exp.Literal.string(CONFLICT_VALUE)), ident(d.name))

    def label_columns(self) -> list[exp.Expression]:
        cols = []
        for d in self.rs.dimensions:
            labels = {s.name: (s.label if s.label is not None else s.name) for s in d.all_segments()}
            cols.append(exp.alias_(self.mapped(d, lambda s: labels[s.name]), ident(f"{d.name}_label")))
        return cols

    def attribute_columns(self) -> list[exp.Expression]:
        from ..engines.output import attribute_keys, attribute_values
        cols = []
        for d in self.rs.dimensions:
            for k in attribute_keys(d):
                values = {s.name: attribute_values(d, s).get(k) for s in d.all_segments()}
                m = self.mapped(d, lambda s: values[s.name])
                cols.append(exp.alias_(m, ident(f"{d.name}_{k}")))
        return cols

    def mapped(self, d: ir.Dimension, value) -> exp.Expression:
        """A per-segment constant of the dimension's value (a list of them for `all`)."""
        if d.policy == "all":
            if not d.segments:
                return empty_text_array()
            arr = string_array([exp.Case(ifs=[exp.If(
                this=exp.ArrayContains(this=col(d.name), expression=exp.Literal.string(s.name)),
                true=literal(value(s)))]) for s in d.segments])
            return non_null(arr)
        ifs = [exp.If(this=exp.Literal.string(s.name), true=literal(value(s)))
               for s in d.all_segments() if value(s) is not None]
        return exp.Case(this=col(d.name), ifs=ifs) if ifs else exp.Null()

    # ---- the query ----
    def select(self) -> exp.Select:
        rs = self.rs
        ctes, last = self.chain(query_definitions(rs))
        final = [col(rs.key)] + [self.output_value(d) for d in rs.dimensions]
        if self.opts.labels:
            final += self.label_columns()
        if self.opts.attributes:
            final += self.attribute_columns()
        final += [exp.alias_(col(keep_column(i)), ident(out)) for i, (out, _) in enumerate(self.opts.keep)]
        final += [col(c) for c in conflict_columns(rs)]
        if self.opts.ordered:
            final.append(col(ORDER))
        query = exp.select(*final).from_(exp.Table(this=ident(last)))
        if self.opts.ordered and self.opts.sort:
            query = query.order_by(col(ORDER))
        return _with(query, ctes)

    def population_args(self, ids: list[int]) -> exp.Select:
        """Each customer's key and the arguments (value, `by` groups) of these population stats."""
        nodes = [self.rs.population[i] for i in ids]
        exprs = [x for n in nodes for x in (n.arg, *n.by)]
        ctes, last = self.chain(ir.needed_definitions(self.rs, exprs), exprs)
        cols = [col(self.rs.key)]
        for n in nodes:
            cols.append(exp.alias_(self.expr(n.arg), ident(f"__arg_{n.id}")))
            cols += [exp.alias_(self.expr(b), ident(f"__by_{n.id}_{j}")) for j, b in enumerate(n.by)]
        query = exp.select(*cols).from_(exp.Table(this=ident(last)))
        # aggregates met in the arguments register late: rebuild the chain so their CTEs exist
        ctes, last2 = self.chain(ir.needed_definitions(self.rs, exprs), exprs)
        return _with(query.from_(exp.Table(this=ident(last2))), ctes)

    def chain(self, definitions: list[ir.Definition], extra: list[ir.Expr] = ()) \
            -> tuple[list[tuple[str, exp.Expression]], str]:
        """The CTEs from the inputs up to the given definitions (and what `extra` reads);
        returns them and the last one's name. Only the statistics these read are joined."""
        rs = self.rs
        ctes: list[tuple[str, exp.Expression]] = []
        key = rs.key
        # each definition's expression first: aggregates register themselves
        steps = []
        for d in definitions:
            if isinstance(d, ir.Let):
                steps.append([exp.alias_(self.expr(d.expr), ident(d.name))])
            else:
                steps.extend(self.dimension(d))
        if rs.customer is not None:
            ctes.append(("customer_in", self.input_select(rs.customer)))
            base = "customer_in"
        for r in rs.related:
            ctes.append((f"{r.name}_in", self.input_select(r)))
        for r in rs.related:
            aggs = self.aggregates[r.name]
            sel = exp.select(col(r.key), *[exp.alias_(self.aggregate_expr(a), ident(n)) for n, a in aggs]) \
                .from_(exp.Table(this=ident(f"{r.name}_in"))).group_by(col(r.key))
            ctes.append((f"{r.name}_agg", sel))
        if rs.related:
            if rs.customer is None:
                first = rs.related[0]
                parts = []
                for i, r in enumerate(rs.related):
                    sel = exp.select(col(r.key).as_(ident(first.key)))
                    if self.opts.ordered:     # the first input's order, then new keys of the next input
                        sel = sel.select(exp.alias_(exp.Add(this=col(ORDER), expression=exp.Literal.number(i * 10**12)),
                                                    ident(ORDER)))
                    parts.append(sel.from_(exp.Table(this=ident(f"{r.name}_in"))))
                rows = exp.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
                keys = exp.select(col(first.key)).from_(exp.Subquery(this=rows, alias=exp.TableAlias(this=ident("k")))) \
                    .group_by(col(first.key))
                if self.opts.ordered:
                    keys = keys.select(exp.alias_(exp.Min(this=col(ORDER)), ident(ORDER)))
                ctes.append(("customer_keys", keys))
                base_sel = exp.select(exp.Column(this=exp.Star(), table=ident("c"))).from_(
                    exp.Table(this=ident("customer_keys"), alias=exp.TableAlias(this=ident("c"))))
            else:
                base_sel = exp.select(exp.Column(this=exp.Star(), table=ident("c"))).from_(
                    exp.Table(this=ident("customer_in"), alias=exp.TableAlias(this=ident("c"))))
            for r in rs.related:
                aggs = self.aggregates[r.name]
                alias = f"a_{r.name}"
                for n, a in aggs:
                    zero = {"count": exp.Literal.number(0), "count_distinct": exp.Literal.number(0)}.get(a.func)
                    if a.func == "sum":
                        zero = exp.Literal.number(0) if a.type.kind is Kind.INT else double(exp.Literal.number("0.0"))
                    v = col(n, alias)
                    base_sel = base_sel.select(exp.alias_(exp.Coalesce(this=v, expressions=[zero]) if zero is not None else v,
                                                          ident(n)))
                base_sel = base_sel.join(exp.Table(this=ident(f"{r.name}_agg"), alias=exp.TableAlias(this=ident(alias))),
                                         on=exp.EQ(this=col(r.key, alias), expression=col(key, "c")), join_type="left")
            ctes.append(("customers", base_sel))
            base = "customers"
        read = sorted(read_population(definitions, extra))
        if read:
            sel = exp.select(exp.Column(this=exp.Star(), table=ident("c"))).from_(
                exp.Table(this=ident(base), alias=exp.TableAlias(this=ident("c"))))
            for i in read:
                table = self.pop_table(i)
                alias = f"p{i}"
                sel = sel.select(exp.alias_(col("value", alias), ident(population_column(i))))
                sel = sel.join(exp.Table(this=ident(table), alias=exp.TableAlias(this=ident(alias))),
                               on=exp.EQ(this=col(key, alias), expression=col(key, "c")), join_type="left")
            ctes.append(("with_population", sel))
            base = "with_population"
        prev = base
        for i, cols in enumerate(steps):
            name = f"step_{i + 1}"
            ctes.append((name, exp.select(exp.Star(), *cols).from_(exp.Table(this=ident(prev)))))
            prev = name
        return ctes, prev


def _with(query: exp.Select, ctes) -> exp.Select:
    for name, sel in ctes:
        query = query.with_(ident(name), as_=sel)
    return query


def query_definitions(rs: ir.Ruleset) -> list[ir.Definition]:
    """What the main query computes: the dimensions and what they read, so a let nobody
    reads (SEG403) is neither computed nor asks for a statistic the engines leave out."""
    targets = [s.condition for d in rs.dimensions for s in d.segments if s.condition is not None]
    names = {d.name for d in ir.needed_definitions(rs, targets)} | {d.name for d in rs.dimensions}
    return [d for d in rs.definitions if d.name in names]


def read_population(definitions: list[ir.Definition], extra=()) -> set[int]:
    """The statistics whose results these definitions (and expressions) read; a statistic's
    own argument is computed by the population pass, so its insides do not count."""
    stack: list[ir.Expr] = list(extra)
    for d in definitions:
        if isinstance(d, ir.Let):
            stack.append(d.expr)
        else:
            stack.extend(s.condition for s in d.segments if s.condition is not None)
    out: set[int] = set()
    while stack:
        e = stack.pop()
        if isinstance(e, ir.PopulationStat):
            out.add(e.id)
            continue
        stack.extend(ir.children(e))
    return out


def population_column(i: int) -> str:
    return f"__pop_{i}"


def to_sql(rs: ir.Ruleset, params: dict, dialect: str = "duckdb", tables: dict[str, str] | None = None,
           labels: bool = False, attributes: bool = False, pretty: bool = True,
           keep: tuple[tuple[str, str], ...] = (), row_column: str | None = None, prepared: bool = False,
           population: dict[int, str] | None = None, ordered: bool = False, sort: bool = True,
           create: tuple[str, str] | None = None, functions: tuple[str, ...] = ()) -> str:
    """`create` = ("view" | "table", name): the SELECT wrapped in CREATE VIEW / CREATE TABLE AS.
    `functions`: the engine functions (EXACT_SUM, ...) the connection has, used instead of the
    database's own."""
    opts = _options(rs, tables, labels, attributes, keep, row_column, prepared, population, ordered, dialect)
    query: exp.Expression = SqlCompiler(rs, params, replace(opts, sort=sort, functions=tuple(functions))).select()
    if create is not None:
        kind, name = create
        query = exp.Create(this=exp.Table(this=ident(name)), kind=kind.upper(), expression=query)
    return _render(query, dialect, pretty)


def population_args_sql(rs: ir.Ruleset, params: dict, ids: list[int], dialect: str = "duckdb",
                        tables: dict[str, str] | None = None, prepared: bool = False,
                        population: dict[int, str] | None = None, ordered: bool = False,
                        functions: tuple[str, ...] = ()) -> str:
    """The query an engine runs first: every customer's arguments of the given population stats
    (whose own arguments may read stats of earlier stages, given in `population`)."""
    opts = _options(rs, tables, False, False, (), None, prepared, population, ordered, dialect)
    query = SqlCompiler(rs, params, replace(opts, functions=tuple(functions))).population_args(ids)
    return _render(query, dialect, False)


def _options(rs, tables, labels, attributes, keep, row_column, prepared, population, ordered,
             dialect) -> SqlOptions:
    names = ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]
    return SqlOptions(tables=tables or {n: n for n in names}, labels=labels, attributes=attributes,
                      keep=tuple(keep), row_column=row_column, prepared=prepared,
                      population=tuple(sorted((population or {}).items())), ordered=ordered, dialect=dialect)


def keep_column(i: int) -> str:
    """Carried-through input columns travel under private names (they may share a field's name)."""
    return f"__segdsl_keep_{i}"


def conflict_column(rs: ir.Ruleset, d: ir.Dimension) -> str:
    return f"{CONFLICT}_{rs.dimensions.index(d)}"


def first_column(i: int) -> str:
    """A `unique` dimension's first match, before a conflict replaces it."""
    return f"__segdsl_first_{i}"


def conflict_columns(rs: ir.Ruleset) -> list[str]:
    return [conflict_column(rs, d) for d in rs.dimensions if d.policy == "unique"]


def _render(query: exp.Expression, dialect: str, pretty: bool) -> str:
    if dialect in ("postgres", "redshift"):
        query = query.transform(_backslash_free)
        long = sorted({i.name for i in query.find_all(exp.Identifier) if len(i.name.encode("utf-8")) > 63})
        if long:
            raise NotSupported(f"PostgreSQL cuts names at 63 bytes; these would be cut: {', '.join(long)}")
    return query.sql(dialect=dialect, pretty=pretty, identify=True)


def _backslash_free(node: exp.Expression) -> exp.Expression:
    """'a\\b' as 'a' || CHR(92) || 'b': the same text whether or not the server treats
    backslashes in string literals as escapes (standard_conforming_strings)."""
    if isinstance(node, exp.Literal) and node.is_string and "\\" in node.this:
        parts = node.this.split("\\")
        out: exp.Expression = exp.Literal.string(parts[0])
        for part in parts[1:]:
            out = exp.DPipe(this=out, expression=exp.Chr(expressions=[exp.Literal.number(92)]), safe=True)
            out = exp.DPipe(this=out, expression=exp.Literal.string(part), safe=True)
        return exp.Paren(this=out)
    return node
