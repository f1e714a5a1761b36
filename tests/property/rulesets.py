"""A hypothesis strategy for random, valid rule files (as text).

Why text and not IR: the text goes through the real front end, so every
generated file also tests the parser and the type checker (each must check
without an error), and a failing example is a rule file a person can read.

What a file holds: a customer input (or only a related one) with a random
schema — every type, nullable fields, enums whose data values are unicode
or full of quotes, defaults, ranges, names that are type or function names
or CJK — an optional related input, params, lets (arithmetic, functions,
case, coalesce, aggregates with where-filters), and 1–4 dimensions of every
policy whose conditions nest comparisons, between, in-lists, is null,
and/or/not and references to earlier dimensions, with hostile labels and
attributes. Lets and dimensions are written in a shuffled order, since
definitions are ordered by dependency.

`Features` switches constructs on and off. Population functions only run
in the Python-side engines; the other switches leave out constructs whose
engine disagreements are already known and kept as xfail conformance cases
(named next to each switch), so the random comparison stays a guard for
everything else. Flip a switch when its case passes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from segdsl.syntax.keywords import KEYWORDS


@dataclass(frozen=True)
class Features:
    population: bool = False        # percent_rank, ntile, ... (DuckDB and Spark through the engines' pass)
    case_mapping: bool = True       # lower/upper (compiled SQL: conformance string_special_casing)
    float_aggregates: bool = True   # sum/avg of number rows (compiled SQL: related_exact_float_sum)
    string_between: bool = True     # between on text (postgres: string_order_code_point, fixed)
    null_between_bounds: bool = True    # bounds that may be null (python: between_null_bounds, fixed)
    empty_in_list: bool = True      # `in []` (in_empty_list, fixed)
    read_unique: bool = True        # dimensions reading unique dimensions (unique_read_by_dimension, fixed)
    population_lets: bool = False   # population functions in lets, which may go unused (pop_unused_let, fixed)
    related: bool = True            # a related input (the vector form has none: VECTOR)
    mixed_temporal: bool = True     # date and datetime mixed in between bounds, case branches and in-lists
                                    # (between_date_mixed_bounds, case_mixed_date_datetime,
                                    # in_list_date_datetime, fixed)


# every engine but Spark (a second per query); population functions where the engine can run them
# (compiled SQL keeps the database's own sums and case mapping: dialect limits, docs/engines.md)
ALL_ENGINES = Features(case_mapping=False, float_aggregates=False)
PYTHON_SIDE = Features()
POPULATION = Features(population=True, population_lets=True)         # python and the DuckDB engine
POPULATION_PYTHON_SIDE = Features(population=True, population_lets=True)
# what the Python engine's vector form (backends/vector.py) is for: a customer input alone (it has no
# form for related rows; the generated code, which the other sets compare, runs them)
VECTOR = Features(related=False)

# ---- names and text --------------------------------------------------------------

# names that are type names, function names, `days`, CJK, accented, underscored
FIELD_NAMES = ["age", "arpu", "客户等级", "tenure", "x", "_flag", "été", "Ωmega", "date", "month", "days",
               "year", "length", "count", "number", "名字", "city", "plan", "score2", "lower", "enum"]
LET_NAMES = ["r", "ratio", "得分", "band", "idle", "total", "m_hi", "trend", "sum", "avg"]
PARAM_NAMES = ["as_of", "gap", "threshold", "门槛", "rate", "word", "tier", "on"]
DIM_NAMES = ["value", "status", "标签", "tier_", "quadrant", "tags", "seg", "stage"]
SEGMENT_NAMES = ["top", "mid", "low", "高价值", "churn_risk", "x", "age", "other", "vip", "_a", "é1", "none_"]
MEMBER_NAMES = ["in_net", "off", "fiber", "dsl", "在网", "no", "x", "age", "former", "M", "F"]

HOSTILE = ["", "a", "客户", "「首購族」", 'x"y', "O'Brien", "Fiber optic", " pad ", "\\", "\\\"", "'; DROP TABLE t; --",
           '"); import os; os.system("x"); ("', "{x}", "%s", "$1", "NULL", "null", "日本語テキスト", "ß", "é",
           "\t", "a,b|c", "#not a comment", "when", "\u202e", "${x}"]
DATA_VALUES = ["Fiber optic", "DSL", "No", "在网", "离网", "'", '"', 'say "hi"', "a\\b", " lead", "trail ", "1",
               "NULL", "é", "🙂", "x|y", "--"]


def quote(s: str) -> str:
    """A rule-file string literal: only `\\"` and `\\\\` are escapes."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def label(draw) -> str:
    return " " + quote(draw(st.sampled_from(HOSTILE) | st.text(max_size=5).filter(_one_line))) \
        if draw(st.booleans()) else ""


def _one_line(s: str) -> bool:
    """Text a string literal can hold on one line (and PostgreSQL's TEXT: no NUL)."""
    return not any(c in s for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00")


# ---- the symbols a generated file declares -------------------------------------------

@dataclass(frozen=True)
class Ref:
    text: str              # as written: `x` or `orders.x`
    kind: str              # int number bool string date datetime enum
    enum: tuple[str, ...] = ()
    row: bool = False      # a related-row value
    bound: int = 1000      # |value| ≤ bound for ints (keeps SQL BIGINT from overflowing)
    nullable: bool = True


@dataclass(frozen=True)
class Dim:
    name: str
    policy: str
    segments: list[str]
    otherwise: str | None


@dataclass
class Scope:
    """What the file declared so far; filled in as the generator writes declarations."""
    refs: list[Ref] = field(default_factory=list)         # customer-level values
    rows: list[Ref] = field(default_factory=list)         # related-row values
    params: list[Ref] = field(default_factory=list)
    dims: list[Dim] = field(default_factory=list)
    related: str | None = None
    names: set[str] = field(default_factory=set)


def _fresh(draw, pool: list[str], taken: set[str]) -> str:
    base = draw(st.sampled_from(pool))
    name, i = base, 2
    while name in taken or name in KEYWORDS:
        name, i = f"{base}{i}", i + 1
    taken.add(name)
    return name


# ---- expressions -------------------------------------------------------------------

class Exprs:
    """Typed random expressions over a scope. `row=True` builds related-row
    expressions (inside aggregates); otherwise customer-level ones."""

    def __init__(self, draw, scope: Scope, features: Features):
        self.draw, self.s, self.f = draw, scope, features
        self.literals: dict[str, object] = {}

    def pick(self, row: bool, kinds: tuple[str, ...]) -> list[Ref]:
        pool = self.s.rows if row else self.s.refs
        return [r for r in pool + self.s.params if r.kind in kinds]

    def choose(self, options):
        """options: (weight, thunk) pairs; the thunk builds the expression."""
        options = [(w, t) for w, t in options if w > 0]
        i = self.draw(st.integers(0, sum(w for w, _ in options) - 1))
        for w, t in options:
            if i < w:
                return t()
            i -= w
        raise AssertionError

    # ints: (text, bound)
    def int_(self, depth: int, row: bool = False) -> tuple[str, int]:
        d = self.draw
        refs = self.pick(row, ("int",))
        temporal = self.pick(row, ("date", "datetime"))
        strings = self.pick(row, ("string",))
        leaf = [(3, lambda: (str(n := d(st.sampled_from([0, 1, 2, 3, 5, 10, 60, 100, 365]))), n))]
        if refs:
            leaf.append((6, lambda: (lambda r: (r.text, r.bound))(d(st.sampled_from(refs)))))
        if not row and self.s.related:
            leaf.append((3, lambda: (self.aggregate_int(depth), 10 ** 7)))
        if depth <= 0:
            return self.choose(leaf)
        opts = leaf + [
            (2, lambda: self.arith_int(depth, row)),
            (1, lambda: (lambda a: (f"-{a[0]}" if a[0][0] != "-" else f"-({a[0]})", a[1]))(self.int_(depth - 1, row))),
            (1, lambda: (lambda a: (f"abs({a[0]})", a[1]))(self.int_(depth - 1, row))),
            (1, lambda: (lambda a, b: (f"coalesce({a[0]}, {b[0]})", max(a[1], b[1])))(
                self.int_(depth - 1, row), self.int_(depth - 1, row))),
            (1, lambda: self.case_(depth, row, lambda: self.int_(depth - 1, row))),
        ]
        if strings:
            opts.append((1, lambda: (f"length({self.string(depth - 1, row)})", 10_000)))
        if temporal:
            opts += [(1, lambda: (f"days_between({self.temporal(depth - 1, row)}, {self.temporal(depth - 1, row)})",
                                  200_000)),
                     (1, lambda: (f"{d(st.sampled_from(['year', 'month', 'day']))}({self.temporal(depth - 1, row)})",
                                  10_000))]
        return self.choose(opts)

    def arith_int(self, depth: int, row: bool) -> tuple[str, int]:
        a, b = self.int_(depth - 1, row), self.int_(depth - 1, row)
        ops = ["+", "-"] + (["*"] if a[1] * b[1] <= 10 ** 9 else [])
        op = self.draw(st.sampled_from(ops))
        bound = a[1] * b[1] if op == "*" else a[1] + b[1]
        return f"({a[0]} {op} {b[0]})", bound

    def number(self, depth: int, row: bool = False) -> str:
        d = self.draw
        refs = self.pick(row, ("number",))
        leaf = [(2, lambda: d(st.sampled_from(["0.5", "2.5", "95%", "90%", "1e3", "0.1", "100", "0", "3.0"])))]
        if refs:
            leaf.append((5, lambda: d(st.sampled_from(refs)).text))
        leaf.append((2, lambda: self.int_(0, row)[0]))
        if not row and self.s.related:
            leaf.append((3, lambda: self.aggregate_number(depth)))
        if depth <= 0:
            return self.choose(leaf)
        opts = leaf + [
            (3, lambda: f"({self.number(depth - 1, row)} {d(st.sampled_from(['+', '-', '*', '/']))} "
                        f"{self.number(depth - 1, row)})"),
            (1, lambda: f"({self.int_(depth - 1, row)[0]} / {self.int_(depth - 1, row)[0]})"),
            (1, lambda: f"-({self.number(depth - 1, row)})"),
            (1, lambda: f"abs({self.number(depth - 1, row)})"),
            (1, lambda: f"coalesce({self.number(depth - 1, row)}, {self.number(depth - 1, row)})"),
            (1, lambda: self.case_(depth, row, lambda: (self.number(depth - 1, row), 0))[0]),
        ]
        return self.choose(opts)

    def string(self, depth: int, row: bool = False) -> str:
        d = self.draw
        refs = self.pick(row, ("string",))
        leaf = [(2, lambda: quote(d(st.sampled_from(HOSTILE))))]
        if refs:
            leaf.append((5, lambda: d(st.sampled_from(refs)).text))
        if depth <= 0:
            return self.choose(leaf)
        funcs = ["trim"] + (["lower", "upper"] if self.f.case_mapping else [])
        opts = leaf + [
            (2, lambda: f"{d(st.sampled_from(funcs))}({self.string(depth - 1, row)})"),
            (1, lambda: f"coalesce({self.string(depth - 1, row)}, {self.string(depth - 1, row)})"),
            (1, lambda: self.case_(depth, row, lambda: (self.string(depth - 1, row), 0))[0]),
        ]
        rows = [r for r in self.s.rows if r.kind == "string"]
        if not row and rows:
            opts.append((1, lambda: f"{d(st.sampled_from(['min', 'max']))}({d(st.sampled_from(rows)).text}"
                                    f"{self.where()})"))
        return self.choose(opts)

    def temporal(self, depth: int, row: bool = False, kind: str | None = None) -> str:
        return self.temporal_k(depth, row, kind)[0]

    def temporal_k(self, depth: int, row: bool = False, kind: str | None = None) -> tuple[str, str]:
        """(text, "date" or "datetime"); `kind` asks for one of the two."""
        d = self.draw
        kinds = (kind,) if kind else ("date", "datetime")
        refs = self.pick(row, kinds)
        literals = [(t, k) for t, k in TEMPORAL_LITERALS if k in kinds]
        leaf = [(2, lambda: d(st.sampled_from(literals)))]
        if refs:
            leaf.append((6, lambda: (lambda r: (r.text, r.kind))(d(st.sampled_from(refs)))))
        if depth <= 0:
            return self.choose(leaf)

        def shifted():
            t, k = self.temporal_k(depth - 1, row, kind)
            return f"({t} {d(st.sampled_from(['+', '-']))} {d(st.integers(0, 400))} days)", k

        def coalesced():
            (a, ka), (b, kb) = self.temporal_k(depth - 1, row, kind), self.temporal_k(depth - 1, row, kind)
            return f"coalesce({a}, {b})", "datetime" if "datetime" in (ka, kb) else "date"

        def cased():
            k = kind or (None if self.f.mixed_temporal else d(st.sampled_from(["date", "datetime"])))
            kinds_seen = []

            def branch():
                t, bk = self.temporal_k(depth - 1, row, k)
                kinds_seen.append(bk)
                return t, 0
            text = self.case_(depth, row, branch)[0]
            return text, "datetime" if "datetime" in kinds_seen else "date"

        small_ints = [r for r in self.s.params if r.kind == "int"]

        def add_days():
            t, k = self.temporal_k(depth - 1, row, kind)
            n = f"{d(st.sampled_from(['', '-']))}{d(st.sampled_from(small_ints)).text}" if small_ints \
                else f"-{d(st.integers(0, 400))}"
            return f"add_days({t}, {n})", k

        opts = leaf + [(2, shifted), (1, coalesced), (1, cased), (1, add_days)]
        rows = [r for r in self.s.rows if r.kind in kinds]
        if not row and rows:
            opts.append((2, lambda: (lambda r: (f"{d(st.sampled_from(['min', 'max']))}({r.text}{self.where()})",
                                                r.kind))(d(st.sampled_from(rows)))))
        return self.choose(opts)

    def case_(self, depth: int, row: bool, value) -> tuple[str, int]:
        n = self.draw(st.integers(1, 2))
        parts, bound = [], 0
        for _ in range(n):
            v = value()
            bound = max(bound, v[1])
            parts.append(f"when {self.cond(depth - 1, row)} then {v[0]}")
        if self.draw(st.booleans()):
            v = value()
            bound = max(bound, v[1])
            parts.append(f"else {v[0]}")
        return "case " + " ".join(parts) + " end", bound

    # aggregates over the related input
    def where(self) -> str:
        return f" where {self.cond(1, row=True)}" if self.draw(st.booleans()) else ""

    def row_int(self) -> str:
        """An int over related rows that reads a row field (else it would be a population value)."""
        d = self.draw
        ints = [r for r in self.s.rows if r.kind == "int"]
        r = d(st.sampled_from(ints)).text
        return self.choose([(3, lambda: r),
                            (1, lambda: f"({r} {d(st.sampled_from(['+', '-', '*']))} {d(st.integers(0, 9))})"),
                            (1, lambda: f"abs({r})"),
                            (1, lambda: f"coalesce({r}, {self.int_(0, row=True)[0]})")])

    def row_number(self) -> str:
        d = self.draw
        nums = [r for r in self.s.rows if r.kind in ("int", "number")]
        r = d(st.sampled_from(nums)).text
        return self.choose([(3, lambda: r),
                            (2, lambda: f"({r} {d(st.sampled_from(['+', '-', '*', '/']))} {self.number(0, row=True)})"),
                            (1, lambda: f"case when {self.cond(1, row=True)} then {r} end")])

    def aggregate_int(self, depth: int) -> str:
        d, rel = self.draw, self.s.related
        any_rows = self.s.rows
        opts = [(2, lambda: f"count({rel}{self.where()})"),
                (1, lambda: f"count({d(st.sampled_from(any_rows)).text}{self.where()})"),
                (2, lambda: f"count_distinct({d(st.sampled_from(any_rows)).text}{self.where()})")]
        if any(r.kind == "int" for r in self.s.rows):
            opts.append((2, lambda: f"{d(st.sampled_from(['sum', 'min', 'max']))}({self.row_int()}{self.where()})"))
        return self.choose(opts)

    def aggregate_number(self, depth: int) -> str:
        d = self.draw
        opts = [(2, lambda: self.aggregate_int(depth))]
        if any(r.kind == "int" for r in self.s.rows):
            opts.append((1, lambda: f"avg({self.row_int()}{self.where()})"))
        if any(r.kind in ("int", "number") for r in self.s.rows):
            opts.append((2, lambda: f"{d(st.sampled_from(['min', 'max']))}({self.row_number()}{self.where()})"))
            if self.f.float_aggregates:
                opts.append((3, lambda: f"{d(st.sampled_from(['sum', 'avg']))}({self.row_number()}{self.where()})"))
        return self.choose(opts)

    # conditions
    def cond(self, depth: int, row: bool = False) -> str:
        d = self.draw
        opts = [(6, lambda: self.compare(depth, row)),
                (2, lambda: self.between(depth, row)),
                (2, lambda: self.in_list(depth, row)),
                (2, lambda: self.is_null(depth, row)),
                (1, lambda: d(st.sampled_from(["true", "false"])))]
        bools = self.pick(row, ("bool",))
        if bools:
            opts.append((2, lambda: d(st.sampled_from(bools)).text))
        if self.pick(row, ("string",)) or depth > 0:
            opts.append((1, lambda: f"{d(st.sampled_from(['contains', 'starts_with', 'ends_with']))}"
                                    f"({self.string(depth - 1, row)}, {self.string(depth - 1, row)})"))
        if self.pick(row, ("enum",)):
            opts.append((3, lambda: self.enum_cond(row)))
        if not row and self.s.dims:
            opts.append((3, lambda: self.dim_cond()))
        if depth > 0:
            opts += [(2, lambda: f"({self.cond(depth - 1, row)} and {self.cond(depth - 1, row)})"),
                     (2, lambda: f"({self.cond(depth - 1, row)} or {self.cond(depth - 1, row)})"),
                     (2, lambda: f"not ({self.cond(depth - 1, row)})")]
        return self.choose(opts)

    def value(self, depth: int, row: bool, kind: str, temporal: str | None = None) -> str:
        return {"int": lambda: self.int_(depth, row)[0], "number": lambda: self.number(depth, row),
                "string": lambda: self.string(depth, row),
                "temporal": lambda: self.temporal(depth, row, temporal)}[kind]()

    def kind_with_refs(self, row: bool) -> str:
        """A value kind, preferring kinds the file has fields or lets of."""
        have = {"int": ("int",), "number": ("number",), "string": ("string",), "temporal": ("date", "datetime")}
        kinds = [k for k, ks in have.items() if self.vary(row, ks)]
        if self.s.related and not row:
            kinds += ["int", "number"]
        return self.draw(st.sampled_from(kinds if kinds and self.draw(st.integers(0, 4)) else list(have)))

    def subject(self, depth: int, row: bool, kind: str, temporal: str | None = None) -> str:
        """The left side of a condition: mostly a field or let, sometimes an expression over them."""
        ks = {"int": ("int",), "number": ("int", "number"), "string": ("string",),
              "temporal": (temporal,) if temporal else ("date", "datetime")}[kind]
        refs = self.vary(row, ks)
        if refs and self.draw(st.integers(0, 2)):
            return self.draw(st.sampled_from(refs)).text
        if not refs and not row and self.s.related and kind in ("int", "number") and self.draw(st.booleans()):
            return self.aggregate_int(depth) if kind == "int" else self.aggregate_number(depth)
        return self.value(depth - 1, row, kind, temporal)

    def vary(self, row: bool, kinds: tuple[str, ...]) -> list[Ref]:
        """Fields and lets of these kinds (params are the same for every customer)."""
        return [r for r in (self.s.rows if row else self.s.refs) if r.kind in kinds]

    def compare(self, depth: int, row: bool) -> str:
        """Mostly a value against a constant, so that customers land on both sides."""
        d = self.draw
        kind = self.kind_with_refs(row)
        op = d(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
        right = self.literal(kind) if d(st.integers(0, 2)) else self.value(depth - 1, row, kind)
        return f"{self.subject(depth, row, kind)} {op} {right}"

    def between(self, depth: int, row: bool) -> str:
        d = self.draw
        kind = self.kind_with_refs(row)
        if kind == "string" and not self.f.string_between:
            kind = "number"
        neg = d(st.sampled_from(["", "not "]))
        bound_kind = None
        if kind == "temporal" and not self.f.mixed_temporal:
            bound_kind = d(st.sampled_from(["date", "datetime"]))
        if self.f.null_between_bounds:
            lo, hi = self.value(depth - 1, row, kind, bound_kind), self.value(depth - 1, row, kind, bound_kind)
        else:           # bounds that are never null: literals and non-null refs
            lo, hi = self.nonnull(kind, row, bound_kind), self.nonnull(kind, row, bound_kind)
            if lo in self.literals and hi in self.literals and d(st.integers(0, 3)):
                lo, hi = sorted((lo, hi), key=self.literals.get)      # mostly a range that is not empty
        return f"{self.subject(depth, row, kind)} {neg}between {lo} and {hi}"

    def nonnull(self, kind: str, row: bool, temporal: str | None = None) -> str:
        kinds = {"int": ("int",), "number": ("int", "number"), "string": ("string",),
                 "temporal": (temporal,) if temporal else ("date", "datetime")}[kind]
        refs = [r for r in self.pick(row, kinds) if not r.nullable]
        if refs and self.draw(st.booleans()):
            return self.draw(st.sampled_from(refs)).text
        return self.literal(kind, temporal)

    def literal(self, kind: str, temporal: str | None = None) -> str:
        """A constant; `self.literals` remembers its value, to order between bounds."""
        d = self.draw
        if kind == "int":
            v = d(st.integers(-5, 300))
            text = str(v)
        elif kind == "number":
            text, v = d(st.sampled_from([("0.5", 0.5), ("2.5", 2.5), ("95%", 0.95), ("1e3", 1e3), ("0.1", 0.1),
                                         ("100", 100), ("0", 0), ("-1.5", -1.5), ("5000", 5000)]))
        elif kind == "string":
            v = d(st.sampled_from(HOSTILE))
            text = quote(v)
        else:
            text = d(st.sampled_from([t for t, k in TEMPORAL_LITERALS if temporal in (None, k)]))
            v = text if "T" in text else text + "T00:00:00"
        self.literals[text] = v
        return text

    def in_list(self, depth: int, row: bool) -> str:
        d = self.draw
        kind = self.kind_with_refs(row)
        n = d(st.integers(0 if self.f.empty_in_list else 1, 4))
        tk = None
        if kind == "temporal" and not self.f.mixed_temporal:
            tk = d(st.sampled_from(["date", "datetime"]))
        items = [self.literal(kind, tk) if d(st.integers(0, 4)) else "null" for _ in range(n)]
        if kind == "temporal" and items and all(i == "null" for i in items):
            items[0] = self.literal(kind, tk)
        neg = d(st.sampled_from(["", "not "]))
        return f"{self.subject(depth, row, kind, tk)} {neg}in [{', '.join(items)}]"

    def is_null(self, depth: int, row: bool) -> str:
        d = self.draw
        kind = d(st.sampled_from(["int", "number", "string", "temporal"]))
        pool = self.pick(row, ("bool", "enum"))
        subject = d(st.sampled_from(pool)).text if pool and d(st.booleans()) else self.value(depth - 1, row, kind)
        return f"{subject} is {d(st.sampled_from(['', 'not ']))}null"

    def enum_cond(self, row: bool) -> str:
        d = self.draw
        r = d(st.sampled_from(self.pick(row, ("enum",))))
        shape = d(st.integers(0, 2))
        if shape == 0:
            return f"{r.text} {d(st.sampled_from(['=', '!=']))} {d(st.sampled_from(r.enum))}"
        members = d(st.lists(st.sampled_from(r.enum), min_size=1, max_size=3))
        return f"{r.text} {d(st.sampled_from(['', 'not ']))}in [{', '.join(members)}]"

    def dim_cond(self) -> str:
        d = self.draw
        dims = [x for x in self.s.dims if x.policy != "unique" or self.f.read_unique]
        if not dims:
            return "true"
        x = d(st.sampled_from(dims))
        if x.policy == "all":
            shape = d(st.integers(0, 2))
            if shape == 0:
                return f"{d(st.sampled_from(x.segments))} {d(st.sampled_from(['', 'not ']))}in {x.name}"
            if shape == 1:
                return f"{x.name} {d(st.sampled_from(['=', '!=']))} []"
            segs = d(st.lists(st.sampled_from(x.segments), min_size=1, max_size=3))
            return f"{x.name} {d(st.sampled_from(['=', '!=']))} [{', '.join(segs)}]"
        names = x.segments + ([x.otherwise] if x.otherwise else [])
        shape = d(st.integers(0, 2))
        if shape == 0:
            return f"{x.name} {d(st.sampled_from(['=', '!=']))} {d(st.sampled_from(names))}"
        if shape == 1:
            segs = d(st.lists(st.sampled_from(names), min_size=1, max_size=3))
            return f"{x.name} {d(st.sampled_from(['', 'not ']))}in [{', '.join(segs)}]"
        return f"{x.name} is {d(st.sampled_from(['', 'not ']))}null"

    # population functions
    def population(self, depth: int) -> str:
        d = self.draw
        arg = self.number(max(depth - 1, 0))
        groups = [r for r in self.s.refs if r.kind in ("string", "enum", "bool", "int", "date")]
        by = f" by {d(st.sampled_from(groups)).text}" if groups and d(st.booleans()) else ""
        func = d(st.sampled_from(["percent_rank", "ntile", "quantile", "mean", "avg", "median", "min", "max",
                                  "sum", "count", "cume_share"]))
        if func == "ntile":
            desc = ", desc" if d(st.booleans()) else ""
            return f"ntile({arg}, {d(st.integers(1, 5))}{desc}{by})"
        if func == "percent_rank":
            desc = ", desc" if d(st.booleans()) else ""
            return f"percent_rank({arg}{desc}{by})"
        if func == "quantile":
            return f"quantile({arg}, {d(st.sampled_from(['0', '0.25', '50%', '0.9', '1', '100%']))}{by})"
        return f"{func}({arg}{by})"


# ---- declarations ------------------------------------------------------------------

TEMPORAL_LITERALS = [("2026-01-01", "date"), ("2024-02-29", "date"), ("2011-05-23", "date"),
                     ("2025-12-31T23:59:59", "datetime"), ("2026-03-01T00:00:00", "datetime"),
                     ("2026-01-01T08:00:00", "datetime")]

TYPES = ["int", "number", "bool", "string", "date", "datetime", "enum"]


def _enum(draw) -> tuple[str, tuple[str, ...]]:
    names = draw(st.lists(st.sampled_from(MEMBER_NAMES), min_size=1, max_size=4, unique=True))
    values = draw(st.lists(st.sampled_from(DATA_VALUES), min_size=len(names), max_size=len(names), unique=True))
    parts = []
    for n, v in zip(names, values):
        data = f" = {quote(v)}" if draw(st.booleans()) else ""
        if not data and n in values:
            data = f" = {quote(n + '_')}"       # a member's name is its data value: keep data values distinct
        parts.append(f"{n}{data}{label(draw)}")
    sep = draw(st.sampled_from([", ", " ", ",\n    "]))
    return "enum { " + sep.join(parts) + " }", tuple(names)


def _constant(draw, kind: str, members: tuple[str, ...] = ()) -> str:
    if kind == "int":
        return str(draw(st.integers(-5, 200)))
    if kind == "number":
        return draw(st.sampled_from(["0", "2.5", "95%", "-1.5", "100", "1e3"]))
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "string":
        return quote(draw(st.sampled_from(HOSTILE)))
    if kind == "date":
        return draw(st.sampled_from(["2026-01-01", "2024-02-29", "2011-05-23"]))
    if kind == "datetime":
        return draw(st.sampled_from(["2026-01-01T08:00:00", "2024-02-29", "2025-12-31T23:59:59"]))
    return draw(st.sampled_from(members))


def _field(draw, name: str, level_prefix: str, key: bool = False) -> tuple[str, Ref]:
    if key:
        return f"{name}: string{label(draw)}", Ref(level_prefix + name, "string", nullable=False)
    kind = draw(st.sampled_from(TYPES))
    members: tuple[str, ...] = ()
    type_text = kind
    if kind == "enum":
        type_text, members = _enum(draw)
    nullable = draw(st.booleans())
    text = f"{name}: {type_text}{'?' if nullable else ''}"
    if draw(st.integers(0, 3)) == 0:
        text += f" from {quote(draw(st.sampled_from(HOSTILE[1:])) + name)}"
    bound = 1000
    low = high = None
    if kind in ("int", "number") and draw(st.booleans()):
        low = draw(st.integers(-100, 50))
        high = low + draw(st.integers(0, 500))
        text += f" in {low}..{high}"
        bound = max(abs(low), abs(high))
    elif kind == "int":
        bound = 200
    if not nullable and draw(st.integers(0, 2)) == 0:
        if low is not None:
            text += f" = {draw(st.integers(low, high))}"
        else:
            text += f" = {_constant(draw, kind, members)}"
    text += label(draw)
    return text, Ref(level_prefix + name, kind, members, bool(level_prefix), bound, nullable)


@st.composite
def rulesets(draw, features: Features = PYTHON_SIDE) -> str:
    """The text of a random rule file that checks without errors."""
    s = Scope()
    lines = [f"ruleset {draw(st.sampled_from(['t', '测试', 'r_1']))}{label(draw)}"
             + (f" version {quote(draw(st.sampled_from(HOSTILE)))}" if draw(st.booleans()) else "")]
    shape = draw(st.sampled_from(["keyed", "keyed", "keyed", "keyless", "related_only"] if features.related
                                 else ["keyed", "keyed", "keyless"]))
    related = shape == "related_only" or (shape == "keyed" and features.related and draw(st.booleans()))

    # params
    for _ in range(draw(st.integers(0, 3))):
        name = _fresh(draw, PARAM_NAMES, s.names)
        kind = draw(st.sampled_from(["int", "number", "date", "string", "bool", "enum"]))
        members: tuple[str, ...] = ()
        type_text = kind
        if kind == "enum":
            type_text, members = _enum(draw)
        if kind == "int":
            default = str(draw(st.integers(0, 400)))
        else:
            default = _constant(draw, kind, members)
        lines.append(f"param {name}: {type_text} = {default}{label(draw)}")
        s.params.append(Ref(name, kind, members, bound=400, nullable=False))

    # the customer input
    if shape != "related_only":
        taken: set[str] = set()
        key = _fresh(draw, ["id", "客户编号", "customer_id"], taken) if shape == "keyed" else None
        fields = [_field(draw, key, "", key=True)] if key else []
        for _ in range(draw(st.integers(3, 8))):
            name = _fresh(draw, FIELD_NAMES, taken)
            fields.append(_field(draw, name, ""))
        s.names |= taken
        sep = draw(st.sampled_from(["\n  ", ", ", "\n  ,"]))
        head = f"input customer key {key}" if key else "input customer"
        lines.append(head + " {\n  " + sep.join(t for t, _ in fields) + "\n}")
        s.refs += [r for _, r in fields]
    if related:
        rel = "orders"
        s.names.add(rel)
        s.related = rel
        taken = set()
        by = _fresh(draw, ["customer_id", "id", "客户"], taken)
        fields = [_field(draw, by, f"{rel}.", key=True)]
        for _ in range(draw(st.integers(1, 4))):
            fields.append(_field(draw, _fresh(draw, FIELD_NAMES, taken), f"{rel}."))
        s.rows += [r for _, r in fields]
        lines.append(f"related {rel} of customer by {by} {{\n  " + "\n  ".join(t for t, _ in fields) + "\n}")

    ex = Exprs(draw, s, features)
    defs: list[str] = []

    # lets, each using only what is declared before it; written in a shuffled order
    for _ in range(draw(st.integers(0, 4))):
        name = _fresh(draw, LET_NAMES, s.names)
        kind = draw(st.sampled_from(["int", "number", "bool", "string", "temporal"]
                                    + (["population"] * 2 if features.population_lets else [])))
        if kind == "int":
            text, bound = ex.int_(2)
            ref = Ref(name, "int", bound=bound)
        elif kind == "number":
            text, ref = ex.number(2), Ref(name, "number")
        elif kind == "bool":
            text, ref = ex.cond(2), Ref(name, "bool")
        elif kind == "string":
            text, ref = ex.string(2), Ref(name, "string")
        elif kind == "temporal":
            text, k = ex.temporal_k(1)
            ref = Ref(name, k)
        else:
            text = ex.population(2)
            ref = Ref(name, "int" if text.startswith(("ntile", "count")) else "number", bound=10 ** 5)
        defs.append(f"let {name}{label(draw)} = {text}")
        s.refs.append(ref)

    # dimensions, each using earlier ones
    for _ in range(draw(st.integers(1, 4))):
        name = _fresh(draw, DIM_NAMES, s.names)
        policy = draw(st.sampled_from(["first", "first", "unique", "all"]))
        seg_names: list[str] = []
        segs = []
        for _ in range(draw(st.integers(1, 4))):
            seg = _fresh(draw, SEGMENT_NAMES, set(seg_names))
            seg_names.append(seg)
            cond = ex.cond(3) if not features.population or draw(st.integers(0, 2)) else \
                f"{ex.population(1)} {draw(st.sampled_from(['>', '<=', '=']))} {ex.number(0)}"
            segs.append(f"  segment {seg}{label(draw)} when {cond}{_attributes(draw)}")
        otherwise = None
        if policy != "all" and draw(st.booleans()):
            otherwise = _fresh(draw, SEGMENT_NAMES, set(seg_names))
            segs.append(f"  otherwise {otherwise}{label(draw)}{_attributes(draw)}")
        defs.append(f"dimension {name}{label(draw)} {policy} {{\n" + "\n".join(segs) + "\n}")
        s.dims.append(Dim(name, policy, seg_names, otherwise))

    order = draw(st.permutations(range(len(defs))))
    lines += [defs[i] for i in order]
    return "\n".join(lines) + "\n"


_ATTR_KEYS = ["action", "channel", "priority", "策略", "share", "since", "on"]
_ATTR_VALUES = {
    "text": lambda d: quote(d(st.sampled_from(HOSTILE))), "int": lambda d: str(d(st.integers(0, 9))),
    "number": lambda d: d(st.sampled_from(["95%", "0.5", "1e3", "2.0"])),
    "bool": lambda d: d(st.sampled_from(["true", "false"])),
    "date": lambda d: d(st.sampled_from(["2026-01-01", "2026-01-01T08:00:00"])), "null": lambda d: "null",
}
_USUAL = {"action": "text", "channel": "text", "策略": "text", "priority": "int", "share": "number",
          "since": "date", "on": "bool"}


def _attributes(draw) -> str:
    """Constants of the key's usual kind, now and then another kind (the column becomes text) or null."""
    if not draw(st.booleans()):
        return ""
    keys = draw(st.lists(st.sampled_from(_ATTR_KEYS), max_size=3, unique=True))
    items = []
    for k in keys:
        kind = _USUAL[k] if draw(st.integers(0, 4)) else draw(st.sampled_from(sorted(_ATTR_VALUES)))
        written = quote(k) if draw(st.booleans()) else k
        items.append(f"{written}: {_ATTR_VALUES[kind](draw)}")
    return " { " + draw(st.sampled_from([", ", " "])).join(items) + " }"
