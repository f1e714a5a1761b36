"""`segdsl explain`: why one customer got each segment.

The customers are read as `apply` reads them (the same validation and bad
rows), the population values are computed over all of them (or taken from a
stats file), and the one customer asked for is evaluated by the reference
interpreter, whose evaluation backends/trace.py keeps as a tree. The result
is a frozen value: the command line renders it as a tree or JSON
(`as_dict` is the stable JSON object), the Python API returns it.

For each dimension: the segments tried in order (a `first` dimension stops at
the one that matched; `unique` and `all` try every one), each condition with
the values it read and its truth value, the `otherwise` when nothing matched,
and the lets the conditions read (population values with the number of
customers they are over).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .. import ir
from ..backends.interp import Interpreter
from ..backends.trace import Read, Traced, Tracer, lets_read
from ..engines.errors import fail
from ..engines.options import ApplyOptions
from ..runtime.customers import Customer, UniqueConflict

TRUTH = {True: "true", False: "false", None: "unknown"}


@dataclass(frozen=True)
class Value:
    """A name with this customer's value; `population` is the number of customers a
    population value is computed over (None for other values)."""
    name: str
    kind: str                   # field, let, param, dimension, population, aggregate
    label: str | None
    value: Any
    population: int | None = None

    def as_dict(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "label": self.label, "value": plain(self.value)}
        if self.population is not None:
            out["population"] = self.population
        return out


@dataclass(frozen=True)
class Condition:
    """A condition as written (`text`), its truth value, and either its parts (`op` and,
    or, not) or the values it read; `missing` says what made an unknown leaf unknown."""
    text: str
    truth: bool | None
    op: str | None = None
    parts: tuple["Condition", ...] = ()
    values: tuple[Value, ...] = ()
    missing: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        out: dict = {"condition": self.text, "truth": TRUTH[self.truth]}
        if self.op is not None:
            out["op"] = self.op
            out["parts"] = [p.as_dict() for p in self.parts]
        else:
            out["values"] = [v.as_dict() for v in self.values]
        if self.missing:
            out["missing"] = list(self.missing)
        return out


@dataclass(frozen=True)
class Attempt:
    """One segment tried: its condition (None for `otherwise`) and whether it matched."""
    segment: str
    label: str | None
    matched: bool
    condition: Condition | None

    def as_dict(self) -> dict:
        out: dict = {"segment": self.segment, "label": self.label, "matched": self.matched}
        if self.condition is None:
            out["otherwise"] = True
        else:
            out.update(self.condition.as_dict())
        return out


@dataclass(frozen=True)
class DimensionExplained:
    name: str
    label: str | None
    policy: str
    segment: str | tuple[str, ...] | None       # an `all` dimension: its tags
    segment_label: str | tuple[str | None, ...] | None
    trace: tuple[Attempt, ...]
    lets: tuple[Value, ...]                     # the lets the conditions tried read
    conflict: tuple[str, ...] = ()              # a `unique` dimension matched twice (bad input)

    def as_dict(self) -> dict:
        seg = list(self.segment) if isinstance(self.segment, tuple) else self.segment
        lab = list(self.segment_label) if isinstance(self.segment_label, tuple) else self.segment_label
        out = {"name": self.name, "label": self.label, "policy": self.policy, "segment": seg,
               "segment_label": lab, "trace": [a.as_dict() for a in self.trace],
               "lets": [v.as_dict() for v in self.lets]}
        if self.conflict:
            out["conflict"] = list(self.conflict)
        return out


@dataclass(frozen=True)
class Explanation:
    ruleset: str
    key_name: str                # the key field, or `_row`
    key: Any
    row: int | None              # the customer's data row (place in the input)
    customers: int               # the population the values are over
    dimensions: tuple[DimensionExplained, ...]

    def dimension(self, name: str) -> DimensionExplained | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def segments(self) -> dict:
        """Dimension → segment (a list of tags for an `all` dimension), as `evaluate` returns them."""
        return {d.name: list(d.segment) if isinstance(d.segment, tuple) else d.segment for d in self.dimensions}

    def as_dict(self) -> dict:
        return {"ruleset": self.ruleset, "key_name": self.key_name, "key": plain(self.key), "row": self.row,
                "customers": self.customers, "dimensions": [d.as_dict() for d in self.dimensions]}


def plain(v: Any) -> Any:
    """A runtime value as JSON holds it: dates in ISO form, tags as a list."""
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, tuple):
        return [plain(x) for x in v]
    if isinstance(v, UniqueConflict):
        return list(v.segments)
    return v


# ---- the population and one customer ---------------------------------------------

class Population:
    """Every customer of the inputs, with the population values over all of them: loaded
    once, then any customer can be explained."""

    def __init__(self, rs: ir.Ruleset, customers: list[Customer], params: dict, stats: dict,
                 count: int | None = None, keys: list[str] | None = None):
        self.rs, self.customers, self.params, self.stats = rs, customers, params, stats
        self.count = len(customers) if count is None else count     # customers read
        self.keys = keys            # every key's text, when `customers` holds only some (`for_key`)
        self._by_key: dict | None = None

    @classmethod
    def load(cls, rs: ir.Ruleset, options: ApplyOptions, with_stats: bool = True) -> "Population":
        """Reads the inputs as `apply` does (bad rows by `options.on_error`: fail or skip);
        `with_stats` False: the caller reads no population value, none is computed."""
        from ..backends.python import compile_program, compute_stats
        from ..engines.base import run_guarded
        from ..engines.rows import InputRows
        rows = InputRows(rs, options)
        loaded: list[list[Customer]] = []

        def read():
            customers, _ = rows.load_customers(False)
            rows.bad.settle()
            loaded.append(customers)
            return rows.summary
        run_guarded(rs, options, read)
        customers = loaded[0]
        if not with_stats:
            return cls(rs, customers, options.params, {})
        built = compute_stats(compile_program(rs), customers, options.params, {}, options.stats)
        return cls(rs, customers, options.params, {i: s for i, s in enumerate(built) if s is not None})

    @classmethod
    def for_key(cls, rs: ir.Ruleset, options: ApplyOptions, key: Any = None, row: int | None = None
                ) -> "Population":
        """The inputs read as `load` reads them, keeping only the customer with this key (or at
        this data row) and every key's text: for rules that read no population value, so
        memory does not grow with the customers' records."""
        from ..engines.base import run_guarded
        from ..engines.rows import InputRows
        rows = InputRows(rs, options)
        wanted = row if row is not None and rs.customer is not None and not rs.customer.key else key
        keys: list[str] = []
        found: dict = {}

        def matches(k) -> bool:
            return k == wanted or (wanted is not None and _key_text(k) == _key_text(wanted))

        def read():
            if rs.customer is not None:
                for k, raw, rec in rows.customer_records(rs.customer):
                    keys.append(_key_text(k))
                    if not found and matches(k):
                        found[k] = Customer(k, rec, {r.name: [] for r in rs.related}, raw.order)
            seen: set = set()
            for r in rs.related:
                if r.name not in options.inputs:
                    continue
                for raw, rec in rows.records(r):
                    k = rec[r.key]
                    if rs.customer is None and k not in seen:
                        seen.add(k)
                        keys.append(_key_text(k))
                        if not found and matches(k):
                            found[k] = Customer(k, {}, {x.name: [] for x in rs.related}, raw.order)
                    if k in found:
                        found[k].rows[r.name].append(rec)
            rows.bad.settle()
            return rows.summary
        run_guarded(rs, options, read)
        return cls(rs, list(found.values()), options.params, {}, len(keys), keys)

    @classmethod
    def of_one(cls, rs: ir.Ruleset, customer: Customer, params: dict, frozen: dict | None = None) -> "Population":
        """One customer as its own population (as a test case is), or with frozen values."""
        from ..backends.python import compile_program, compute_stats
        built = compute_stats(compile_program(rs), [customer], params, {}, frozen)
        return cls(rs, [customer], params, {i: s for i, s in enumerate(built) if s is not None})

    def find(self, key: Any = None, row: int | None = None) -> Customer:
        """The customer with this key (a value, or its text as a file holds it), or at this
        data row of a keyless input; a Problem at `id` / `row` otherwise."""
        rs = self.rs
        key = lookup(rs, key, row)
        if self._by_key is None:
            self._by_key = {}
            for c in self.customers:
                self._by_key.setdefault(c.key, c)
                self._by_key.setdefault(_key_text(c.key), c)
        found = self._by_key.get(key)
        if found is None and not isinstance(key, str):
            found = self._by_key.get(_key_text(key))
        if found is None:
            where = "row" if row is not None else "id"
            what = f"no data row {row}" if row is not None else f"no customer has {rs.key} = {key!r}"
            near = None if row is not None else _closest_key(str(key), self.customers, self.keys)
            raise fail("unknown-key", where, key, f"{what} among the {self.count:,} customers read"
                       + (f"; did you mean {near}?" if near else ""))
        return found

    def explain(self, customer: Customer, dimension: str | None = None) -> Explanation:
        rs = self.rs
        if dimension is not None and rs.dimension(dimension) is None:
            names = ", ".join(d.name for d in rs.dimensions)
            raise fail("unknown-dimension", "dimension", dimension, f"the ruleset has no dimension "
                       f"`{dimension}` (dimensions: {names})", usage=True)
        interp = Interpreter(rs, self.params, stats=self.stats)
        env = interp.run([customer])[0]
        explainer = _Explainer(rs, Tracer(interp, rs, customer, env), env, self.count)
        dims = tuple(explainer.dimension(d) for d in rs.dimensions if dimension in (None, d.name))
        row = None if rs.customer is None else customer.row
        return Explanation(rs.name, rs.key, customer.key, row, self.count, dims)


def lookup(rs: ir.Ruleset, key: Any, row: int | None) -> Any:
    """What identifies the customer asked for: its key, or its data row for a keyless input;
    a Problem at `id` or `row` for the wrong one (checked before any data is read)."""
    keyless = rs.customer is not None and not rs.customer.key
    if row is not None:
        if not keyless:
            raise fail("has-key", "row", row, f"the input has a key ({rs.key}): give the customer's key",
                       usage=True)
        return row
    if key is None:
        raise fail("missing-key", "id", None, "give the key of the customer to explain", usage=True)
    if keyless:
        raise fail("no-key", "id", key, "the input has no key: give the customer's data row number", usage=True)
    return key


def _closest_key(given: str, customers: list[Customer], keys: list[str] | None = None) -> str | None:
    """The key most like a mistyped one (a transposed or missing character), if any is close."""
    from ..diagnostics.suggest import closest
    return closest(given, keys if keys is not None else (_key_text(c.key) for c in customers), cutoff=85.0)


def _key_text(v: Any) -> str:
    from ..io.writers import as_text
    return as_text(v) or ""


class _Explainer:
    """A customer's dimensions as Explanation values, from the tracer's trees."""

    def __init__(self, rs: ir.Ruleset, tracer: Tracer, env: dict, customers: int):
        self.rs, self.tracer, self.env, self.customers = rs, tracer, env, customers
        self.texts = {path: text.splitlines() for path, text in rs.sources.items()}

    def dimension(self, d: ir.Dimension) -> DimensionExplained:
        attempts, conditions, hit = [], [], False
        for s in d.segments:
            traced = self.tracer.trace(s.condition)
            conditions.append(s.condition)
            attempts.append(Attempt(s.name, s.label, traced.truth is True, self.condition(traced)))
            hit = hit or traced.truth is True
            if hit and d.policy == "first":
                break
        if not hit and d.otherwise is not None:
            attempts.append(Attempt(d.otherwise.name, d.otherwise.label, True, None))
        value = self.env[d.name]
        conflict = value.segments if isinstance(value, UniqueConflict) else ()
        if conflict:
            value = None
        label = tuple(d.segment(n).label for n in value) if isinstance(value, tuple) else (
            d.segment(value).label if value is not None else None)
        lets = tuple(v for name in lets_read(self.rs, conditions) for v in self.let(name))
        return DimensionExplained(d.name, d.label, d.policy, value, label, tuple(attempts), lets, conflict)

    def condition(self, t: Traced) -> Condition:
        return Condition(self.text(t.expr.span), t.truth, t.op, tuple(self.condition(p) for p in t.parts),
                         tuple(self.value(r) for r in t.reads), t.missing)

    def value(self, r: Read) -> Value:
        if r.kind in ("population", "aggregate"):
            return Value(self.text(r.node.span), r.kind, None, r.value,
                         self.customers if r.kind == "population" else None)
        return Value(r.name, r.kind, self.label(r), r.value)

    def label(self, r: Read) -> str | None:
        rs = self.rs
        if r.kind == "field":
            f = rs.customer.field(r.name) if rs.customer is not None else None
            return f.label if f is not None else None
        found = {"let": rs.let, "param": rs.param, "dimension": rs.dimension}[r.kind](r.name)
        return getattr(found, "label", None)

    def let(self, name: str) -> list[Value]:
        """The let's value, then the population values written inside it (`mean(monetary)` of
        `monetary > mean(monetary)`) unless the let is one itself."""
        let = self.rs.let(name)
        stats = [n for n in ir.walk(let.expr) if isinstance(n, ir.PopulationStat)]
        out = [Value(name, "let", let.label, self.env.get(name), self.customers if stats else None)]
        if name in self.tracer.interp.pins or stats == [let.expr]:
            return out
        return out + [self.value(self.tracer.read(n)) for n in stats]

    def text(self, span) -> str:
        """The source text of a span, its lines joined by single spaces."""
        lines = self.texts.get(span.path)
        if not lines or span.line < 1:
            return ""
        if span.line == span.end_line:
            return lines[span.line - 1][span.col - 1:span.end_col - 1]
        parts = [lines[span.line - 1][span.col - 1:]]
        parts += lines[span.line:span.end_line - 1]
        parts.append(lines[span.end_line - 1][:span.end_col - 1])
        return " ".join(" ".join(p.split()) for p in parts if p.strip())


def explain(rs: ir.Ruleset, options: ApplyOptions, key: Any = None, row: int | None = None,
            dimension: str | None = None) -> Explanation:
    """One customer of the inputs explained (the population values over all of them)."""
    if options.on_error not in ("fail", "skip"):
        raise fail("bad-choice", "on_error", options.on_error, "choose fail or skip", usage=True)
    if dimension is not None and rs.dimension(dimension) is None:
        Population(rs, [], options.params, {}).explain(Customer(None), dimension)     # the Problem
    lookup(rs, key, row)
    if _reads_population(rs, options):
        population = Population.load(rs, options)
    else:
        population = Population.for_key(rs, options, key, row)
    return population.explain(population.find(key, row), dimension)


def _reads_population(rs: ir.Ruleset, options: ApplyOptions) -> bool:
    """Whether the dimensions read a population value not frozen in `options.stats`."""
    from ..passes import build_plan
    return any(pid not in (options.stats or {}) for pid in build_plan(rs).live_stats)
