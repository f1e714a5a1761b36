"""The Python backend: the IR → Python source, compiled once, run per customer.

Why generated code and not an interpreter: the hot loop of `apply` runs once
per customer over millions of rows, and a straight-line function with local
variables is several times faster than walking a tree. Nullability from the
type checker lets non-null values skip every null test.

Safety: nothing from a rule file is pasted into the source as code. Strings,
numbers and dates become literals through `repr` (or constructor calls with
integer arguments); rule names only appear in comments and in `repr`-quoted
dictionary keys; local variables are numbered (`v3`), never named after user
identifiers. Each generated line that starts a definition or a segment is
mapped back to its rule span (`Program.line_map`).
"""
from __future__ import annotations

import datetime as dt
import keyword
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import ir
from ..runtime import population
from ..runtime.population import fsum
from ..runtime.customers import Customer, UniqueConflict
from ..source import Span
from ..types import Kind


def _lit(v: Any) -> str:
    """A Python literal for a runtime constant, safe for any text."""
    if v is None or isinstance(v, (bool, int)):
        return repr(v)
    if isinstance(v, float):
        if math.isinf(v) or math.isnan(v):
            return f"float({repr(repr(v))})"
        return repr(v)
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, dt.datetime):
        return f"_DT({v.year}, {v.month}, {v.day}, {v.hour}, {v.minute}, {v.second}, {v.microsecond})"
    if isinstance(v, dt.date):
        return f"_D({v.year}, {v.month}, {v.day})"
    if isinstance(v, tuple):
        return "(" + "".join(_lit(x) + ", " for x in v) + ")"
    raise TypeError(f"no literal for {type(v).__name__}")


def _is_name(code: str) -> bool:
    """A local variable (not `True`/`None`, which are names to str.isidentifier but literals to Python)."""
    return code.isidentifier() and not keyword.iskeyword(code)


def _never_null(e: ir.Expr) -> bool:
    """Arithmetic on constants that cannot give null, so a null test of it is a constant.

    Its code is also a literal to Python once folded (`(100 * 0.95)`, `(-3)`), and a literal
    with `is`/`is not` is a SyntaxWarning when the generated module is compiled."""
    match e:
        case ir.Const(value=v):
            return v is not None
        case ir.Neg(operand=o):
            return _never_null(o)
        case ir.Arith(op="div", left=l, right=r):
            return _never_null(l) and isinstance(r, ir.Const) and r.value not in (0, None)
        case ir.Arith(op="add" | "sub" | "mul", left=l, right=r):
            return _never_null(l) and _never_null(r)
    return False


def replace_nullability(e: ir.Expr) -> ir.Expr:
    """The same comparison with its operands typed non-null (their nulls are tested outside)."""
    from dataclasses import replace

    def strip(x: ir.Expr) -> ir.Expr:
        if isinstance(x, ir.Const) or not x.type.nullable:
            return x
        return replace(x, type=x.type.with_nullable(False))
    match e:
        case ir.Compare(left=l, right=r):
            return replace(e, left=strip(l), right=strip(r), type=e.type.with_nullable(False))
        case ir.Between(operand=o, low=lo, high=hi):
            return replace(e, operand=strip(o), low=strip(lo), high=strip(hi), type=e.type.with_nullable(False))
        case ir.InList(operand=o):
            return replace(e, operand=strip(o), type=e.type.with_nullable(False))
    return e


def _safe_comment(text: str) -> str:
    return "".join(ch if ch.isprintable() and ch not in "\r\n" else "?" for ch in text)


# ---- runtime helpers the generated code calls (nullable slow paths only) ----

def _days_between(a, b):
    if a is None or b is None:
        return None
    a = a.date() if isinstance(a, dt.datetime) else a
    b = b.date() if isinstance(b, dt.datetime) else b
    return (b - a).days


def _in3(x, items):
    if x is None:
        return None
    unknown = False
    for y in items:
        if y is None:
            unknown = True
        elif x == y:
            return True
    return None if unknown else False


def _between3(x, lo, hi):
    ge = None if x is None or lo is None else x >= lo
    le = None if x is None or hi is None else x <= hi
    if ge is False or le is False:
        return False
    if ge is None or le is None:
        return None
    return True


def _fsum0(vals):
    return fsum(vals) if vals else 0.0


RUNTIME = {
    "_D": dt.date, "_DT": dt.datetime, "_TD": dt.timedelta, "_days_between": _days_between,
    "_in3": _in3, "_between3": _between3, "_fsum": fsum, "_fsum0": _fsum0,
    "_Conflict": UniqueConflict, "_combine": dt.datetime.combine, "_midnight": dt.time(),
}


@dataclass
class _Fn:
    """Emitter for one generated function."""
    lines: list[str] = field(default_factory=list)
    temps: int = 0
    spans: list[tuple[int, Span]] = field(default_factory=list)

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"


class _Gen:
    def __init__(self, rs: ir.Ruleset, pinned: frozenset[str], lenient: bool = False):
        self.rs = rs
        self.pinned = pinned
        self.lenient = lenient
        self.var: dict[str, str] = {}
        for i, d in enumerate(rs.definitions):
            self.var[d.name] = f"{'d' if isinstance(d, ir.Dimension) else 'v'}{i}"
        self.consts: list[str] = []     # module-level constant definitions
        self.const_names: dict[str, str] = {}
        self.fields: dict[str, str] = {}
        self.params: dict[str, str] = {}
        self.fn: _Fn | None = None
        self.row_var: str | None = None

    # -- names --
    def const(self, code: str) -> str:
        if code not in self.const_names:
            name = f"K{len(self.const_names)}"
            self.const_names[code] = name
            self.consts.append(f"{name} = {code}")
        return self.const_names[code]

    def field_var(self, name: str) -> str:
        if name not in self.fields:
            self.fields[name] = f"f{len(self.fields)}"
        return self.fields[name]

    def param_var(self, name: str) -> str:
        if name not in self.params:
            self.params[name] = f"p{len(self.params)}"
        return self.params[name]

    # -- expressions --
    def nullable(self, e: ir.Expr) -> bool:
        if isinstance(e, ir.Const):
            return e.value is None
        # test records may leave required fields out, so then nothing but a constant is sure to be set
        return True if self.lenient else e.type.nullable

    def g(self, e: ir.Expr) -> str:
        fn = self.fn
        match e:
            case ir.Const(value=v):
                if e.type.kind is Kind.LIST:
                    return "(" + "".join(self.g(i) + ", " for i in v) + ")"
                if isinstance(v, (dt.date, tuple)):
                    return self.const(_lit(v))
                return _lit(v)
            case ir.FieldRef(name=n):
                return self.field_var(n)
            case ir.RowFieldRef(name=n):
                return f"{self.row_var}[{n!r}]"
            case ir.ParamRef(name=n):
                return self.param_var(n)
            case ir.LetRef(name=n) | ir.DimRef(name=n):
                return self.var[n]
            case ir.Arith(op=op, left=l, right=r):
                if op in ("date_add", "date_sub"):
                    sign = "+" if op == "date_add" else "-"
                    if isinstance(r, ir.Const):
                        delta = self.const(f"_TD(days={int(r.value)})")
                        return self.null_guard([l], lambda a: f"({a} {sign} {delta})")
                    return self.null_guard([l, r], lambda a, b: f"({a} {sign} _TD(days={b}))")
                sym = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[op]
                if op == "div":
                    if isinstance(r, ir.Const) and r.value not in (0, None):
                        return self.null_guard([l], lambda a: f"({a} / {self.g(r)})")
                    return self.null_guard([l, r], lambda a, b: f"({a} / {b})", extra=lambda a, b: f"{b} == 0",
                                           force_temps=True)
                return self.null_guard([l, r], lambda a, b: f"({a} {sym} {b})")
            case ir.Neg(operand=o):
                return self.null_guard([o], lambda a: f"(-{a})")
            case ir.Compare(op=op, left=l, right=r):
                sym = "==" if op == "=" else op
                return self.null_guard([l, r], lambda a, b: f"({a} {sym} {b})")
            case ir.Between(operand=o, low=lo, high=hi, negated=neg):
                if not (self.nullable(o) or self.nullable(lo) or self.nullable(hi)):
                    code = f"({self.g(lo)} <= {self.g(o)} <= {self.g(hi)})"
                    return f"(not {code})" if neg else code
                code = f"_between3({self.g(o)}, {self.g(lo)}, {self.g(hi)})"
                return self.not3(code) if neg else code
            case ir.InList(operand=o, items=items, negated=neg):
                if all(isinstance(i, ir.Const) and i.value is not None for i in items):
                    pool = self.const("frozenset(" + _lit(tuple(i.value for i in items)) + ")")
                    code = self.null_guard([o], lambda a: f"({a} in {pool})")
                    return (self.not3(code) if self.nullable(o) else f"(not {code})") if neg else code
                code = f"_in3({self.g(o)}, ({''.join(self.g(i) + ', ' for i in items)}))"
                return self.not3(code) if neg else code
            case ir.InTags(segment=s, dimension=d, negated=neg):
                return f"({s!r} {'not in' if neg else 'in'} {self.var[d]})"
            case ir.IsNull(operand=o, negated=neg):
                if isinstance(o, ir.Const):
                    return repr((o.value is None) != neg)
                if _never_null(o):
                    return repr(neg)
                return f"({self.g(o)} is {'not ' if neg else ''}None)"
            case ir.And(items=items):
                if not any(self.nullable(i) for i in items):
                    return "(" + " and ".join(self.g(i) for i in items) + ")"
                ts = [fn.temp() for _ in items]
                first = " or ".join(f"({t} := {self.g(i)}) is False" for t, i in zip(ts, items))
                unknown = " or ".join(f"{t} is None" for t in ts)
                return f"(False if {first} else (None if {unknown} else True))"
            case ir.Or(items=items):
                if not any(self.nullable(i) for i in items):
                    return "(" + " or ".join(self.g(i) for i in items) + ")"
                ts = [fn.temp() for _ in items]
                first = " or ".join(f"({t} := {self.g(i)}) is True" for t, i in zip(ts, items))
                unknown = " or ".join(f"{t} is None" for t in ts)
                return f"(True if {first} else (None if {unknown} else False))"
            case ir.Not(operand=o):
                return self.not3(self.g(o)) if self.nullable(o) else f"(not {self.g(o)})"
            case ir.Case(whens=whens, else_=els):
                parts = []
                for c, v in whens:
                    test = self.truth(c)
                    parts.append(f"{self.g(v)} if {test} else ")
                return "(" + "".join(parts) + (self.g(els) if els is not None else "None") + ")"
            case ir.Func(name=name, args=args):
                return self.func(name, args)
            case ir.Aggregate():
                return self.aggregate(e)
            case ir.PopulationStat(id=i, arg=a, by=by):
                key = "(" + "".join(self.g(b) + ", " for b in by) + ")"
                return f"S[{i}].value({self.g(a)}, {key})"
        raise AssertionError(f"unknown IR node {type(e).__name__}")

    # -- conditions: a segment matches only when its condition is true, so in
    # that context three-valued logic collapses to plain Python booleans --
    def truth(self, e: ir.Expr) -> str:
        """A Python bool expression equal to `g(e) is True`."""
        if isinstance(e, ir.Const):
            return repr(e.value is True)
        if not self.nullable(e):
            return self.g(e)
        match e:
            case ir.And(items=items):
                return "(" + " and ".join(self.truth(i) for i in items) + ")"
            case ir.Or(items=items):
                return "(" + " or ".join(self.truth(i) for i in items) + ")"
            case ir.Not(operand=o):
                return self.falsity(o)
            case ir.Compare() | ir.Between(negated=False) | ir.InList(negated=False):
                return self.guarded(e, negate=False)
        return f"({self.g(e)} is True)"

    def falsity(self, e: ir.Expr) -> str:
        """A Python bool expression equal to `g(e) is False`."""
        if isinstance(e, ir.Const):
            return repr(e.value is False)
        if not self.nullable(e):
            return f"(not {self.g(e)})"
        match e:
            case ir.And(items=items):
                return "(" + " or ".join(self.falsity(i) for i in items) + ")"
            case ir.Or(items=items):
                return "(" + " and ".join(self.falsity(i) for i in items) + ")"
            case ir.Not(operand=o):
                return self.truth(o)
            case ir.Compare() | ir.InList(negated=False):
                return self.guarded(e, negate=True)
            case ir.Between(negated=False, low=lo, high=hi) if not (self.nullable(lo) or self.nullable(hi)):
                # with a null bound, `x between lo and hi` is still false when the other bound decides
                return self.guarded(e, negate=True)
        return f"({self.g(e)} is False)"

    def guarded(self, e: ir.Expr, negate: bool) -> str:
        """A comparison whose nullable operands are plain names: `x is not None and x >= 3`."""
        operands = ir.children(e)
        if any(self.nullable(o) and not isinstance(o, ir.Const) and not _is_name(self.g(o)) for o in operands) \
                or any(isinstance(o, ir.Const) and o.value is None for o in operands) \
                or (isinstance(e, ir.InList) and not all(isinstance(i, ir.Const) for i in e.items)):
            return f"({self.g(e)} is {'False' if negate else 'True'})"
        checks = [f"{self.g(o)} is not None" for o in operands if self.nullable(o)]
        body = self.g(replace_nullability(e))
        body = f"(not {body})" if negate else body
        return "(" + " and ".join(checks + [body]) + ")"

    def not3(self, code: str) -> str:
        t = self.fn.temp()
        return f"(None if ({t} := {code}) is None else not {t})"

    def null_guard(self, operands, build: Callable[..., str], extra=None, force_temps=False) -> str:
        """`build(...)` when no operand is null, else None; each operand evaluated once."""
        codes = [self.g(o) for o in operands]
        nullable = [self.nullable(o) for o in operands]
        if not any(nullable) and extra is None:
            return build(*codes)
        names, checks = [], []
        for o, code, nul in zip(operands, codes, nullable):
            simple = isinstance(o, ir.Const) or _is_name(code)
            if simple and not force_temps:
                names.append(code)
                if nul:
                    checks.append(f"{code} is None")
            else:
                t = self.fn.temp()
                names.append(t)
                checks.append(f"({t} := {code}) is None" if nul else f"({t} := {code}) is _NEVER")
        if extra is not None:
            checks.append(extra(*names))
        return f"(None if {' or '.join(checks)} else {build(*names)})"

    def func(self, name: str, args) -> str:
        if name == "coalesce":
            ts = [self.fn.temp() for _ in args[:-1]]
            code = self.g(args[-1])
            for t, a in reversed(list(zip(ts, args[:-1]))):
                code = f"({t} if ({t} := {self.g(a)}) is not None else {code})"
            return code
        if name == "days_between":
            a, b = args

            def between(x, y):        # inline, not a helper call: this runs once per record
                dx = x + (".date()" if a.type.kind is Kind.DATETIME else "")
                dy = y + (".date()" if b.type.kind is Kind.DATETIME else "")
                return f"({dy} - {dx}).days"
            return self.null_guard([a, b], between)
        simple = {
            "lower": lambda a: f"{a}.lower()", "upper": lambda a: f"{a}.upper()",
            "trim": lambda a: f"{a}.strip(' ')", "length": lambda a: f"len({a})",
            "starts_with": lambda a, b: f"{a}.startswith({b})", "ends_with": lambda a, b: f"{a}.endswith({b})",
            "contains": lambda a, b: f"({b} in {a})", "year": lambda a: f"{a}.year",
            "month": lambda a: f"{a}.month", "day": lambda a: f"{a}.day",
            "add_days": lambda a, b: f"({a} + _TD(days={b}))", "abs": lambda a: f"abs({a})",
            "to_datetime": lambda a: f"_combine({a}, _midnight)",
        }[name]
        return self.null_guard(list(args), simple, force_temps=True)

    def aggregate(self, e: ir.Aggregate) -> str:
        """Hoisted into a loop before the current statement; the expression is its result."""
        fn = self.fn
        acc = fn.temp()
        outer_row = self.row_var
        self.row_var = r = fn.temp()
        body: list[str] = []
        indent = "    "
        where = None if e.where is None else self.truth(e.where)
        f = e.func
        init = {"count": "0", "count_distinct": "set()", "sum": "[]", "avg": "[]", "min": "None", "max": "None"}[f]
        if e.arg is None:
            update = [f"{acc} += 1"]
        else:
            x = fn.temp()
            val = self.g(e.arg)
            update = [f"{x} = {val}"]
            guard = f"if {x} is not None: " if self.nullable(e.arg) else ""
            if f == "count":
                update.append(f"{guard}{acc} += 1")
            elif f == "count_distinct":
                update.append(f"{guard}{acc}.add({x})")
            elif f in ("sum", "avg"):
                update.append(f"{guard}{acc}.append({x})")
            elif f == "min":
                update.append(f"{guard}{acc} = {x} if {acc} is None or {x} < {acc} else {acc}")
            elif f == "max":
                update.append(f"{guard}{acc} = {x} if {acc} is None or {x} > {acc} else {acc}")
        body.append(f"{acc} = {init}")
        body.append(f"for {r} in rows.get({e.related!r}, ()):")
        if where is not None:
            body.append(f"{indent}if not ({where}):")
            body.append(f"{indent}    continue")
        body.extend(indent + u for u in update)
        self.row_var = outer_row
        fn.lines.extend(self.pending_indent + b for b in body)
        if f == "count_distinct":
            return f"len({acc})"
        if f == "sum":
            return f"sum({acc})" if e.type.kind is Kind.INT else f"_fsum0({acc})"
        if f == "avg":
            return f"(_fsum({acc}) / len({acc}) if {acc} else None)"
        return acc

    # -- statements --
    pending_indent = "    "

    def emit(self, line: str, span: Span | None = None) -> None:
        if span is not None:
            self.fn.spans.append((len(self.fn.lines), span))
        self.fn.lines.append("    " + line)

    def definition(self, d: ir.Definition) -> None:
        var = self.var[d.name]
        if isinstance(d, ir.Let):
            self.fn.lines.append(f"    # let {d.name}  ({d.span})")
            if d.name in self.pinned:
                self.emit(f"{var} = PINS[{d.name!r}]", d.span)
                return
            code = self.g(d.expr)
            self.emit(f"{var} = {code}", d.span)
            return
        self.fn.lines.append(f"    # dimension {d.name} {d.policy}  ({d.span})")
        # conditions first: aggregates they contain are hoisted above the if-chain
        tests = [self.truth(s.condition) for s in d.segments]
        if d.policy == "first":
            for i, (s, test) in enumerate(zip(d.segments, tests)):
                self.emit(f"if {test}:  # {s.name}" if i == 0 else f"elif {test}:  # {s.name}", s.span)
                self.emit(f"    {var} = {s.name!r}")
            default = repr(d.otherwise.name) if d.otherwise else "None"
            if d.segments:
                self.emit("else:", d.otherwise.span if d.otherwise else None)
                self.emit(f"    {var} = {default}")
            else:
                self.emit(f"{var} = {default}")
            return
        hits = self.fn.temp()
        self.emit(f"{hits} = []")
        for s, test in zip(d.segments, tests):
            self.emit(f"if {test}:  # {s.name}", s.span)
            self.emit(f"    {hits}.append({s.name!r})")
        if d.policy == "all":
            self.emit(f"{var} = tuple({hits})")
        else:
            default = repr(d.otherwise.name) if d.otherwise else "None"
            self.emit(f"{var} = {hits}[0] if len({hits}) == 1 else "
                      f"({default} if not {hits} else _Conflict({d.name!r}, tuple({hits})))")

    def needed(self, exprs: list[ir.Expr]) -> list[ir.Definition]:
        return ir.needed_definitions(self.rs, exprs, self.pinned)

    def function(self, name: str, defs: list[ir.Definition], result: Callable[[], str]) -> tuple[str, list]:
        self.fn = _Fn()
        self.fields, self.params = {}, {}
        for d in defs:
            self.definition(d)
        ret = result()
        body = self.fn.lines
        head = [f"def {name}(rec, rows, P, S, PINS):"]
        loads = [f"    {v} = rec[{n!r}]" for n, v in self.fields.items()]
        loads += [f"    {v} = P[{n!r}]" for n, v in self.params.items()]
        lines = head + loads + body + [f"    return {ret}"]
        offset = len(head) + len(loads)
        spans = [(i + offset, s) for i, s in self.fn.spans]
        return "\n".join(lines), spans


@dataclass
class Program:
    """A compiled ruleset: Python source and the functions built from it."""
    source: str
    evaluate: Callable
    pop_args: list[Callable]
    stages: list[list[int]]
    line_map: list[tuple[int, Span]]          # generated line (1-based) → rule span
    ruleset: ir.Ruleset

    def span_for_line(self, line: int) -> Span | None:
        best = None
        for ln, sp in self.line_map:
            if ln <= line:
                best = sp
        return best


def generate(rs: ir.Ruleset, pinned: frozenset[str] = frozenset(),
             lenient: bool = False) -> tuple[str, list, list[list[int]]]:
    """Source text, line map (generated line → rule span) and population stages.

    `lenient` code makes no use of non-null types: for test records, which may
    leave a required field missing (LANGUAGE.md §7)."""
    g = _Gen(rs, pinned, lenient)
    pop_nodes = {p.id: p for p in rs.population}
    live_pops = _live_population(rs, g, pinned)
    functions = []
    for pid in sorted(live_pops):
        p = pop_nodes[pid]

        def result(p=p):
            key = "(" + "".join(g.g(b) + ", " for b in p.by) + ")"
            return f"({g.g(p.arg)}, {key})"
        functions.append(g.function(f"pop_arg_{pid}", g.needed([p.arg, *p.by]), result))
    targets = [s.condition for d in rs.dimensions for s in d.segments if s.condition is not None]
    names = {d.name for d in g.needed(targets)} | {d.name for d in rs.dimensions}
    defs = [d for d in rs.definitions if d.name in names]
    functions.append(g.function("evaluate", defs,
                                lambda: "(" + "".join(g.var[d.name] + ", " for d in rs.dimensions) + ")"))
    lines = [f"# generated by segdsl from {_safe_comment(rs.path)}: ruleset {rs.name}"
             f"{' version ' + _safe_comment(rs.version) if rs.version else ''}",
             "_NEVER = object()", *g.consts]
    line_map = []
    for code, spans in functions:
        lines.append("")
        start = len(lines) + 1                    # 1-based line of the `def`
        line_map.extend((start + i, sp) for i, sp in spans)
        lines.extend(code.split("\n"))
    return "\n".join(lines) + "\n", line_map, _stages(rs, g, live_pops, pinned)


def _live_population(rs: ir.Ruleset, g: _Gen, pinned: frozenset[str]) -> set[int]:
    """Population stats still needed once pinned lets are constants."""
    targets = [s.condition for d in rs.dimensions for s in d.segments if s.condition is not None]
    live, stack = set(), list(targets)
    for d in g.needed(targets):
        if isinstance(d, ir.Let) and d.name not in pinned:
            stack.append(d.expr)
    seen = set()
    while stack:
        e = stack.pop()
        for x in ir.walk(e):
            if isinstance(x, ir.PopulationStat) and x.id not in seen:
                seen.add(x.id)
                live.add(x.id)
                exprs = [x.arg, *x.by]
                stack.extend(exprs)
                for d in g.needed(exprs):
                    if isinstance(d, ir.Let) and d.name not in pinned:
                        stack.append(d.expr)
    return live


def _stages(rs: ir.Ruleset, g: _Gen, live: set[int], pinned) -> list[list[int]]:
    """Population stats grouped so each only needs stats of earlier groups."""
    deps: dict[int, set[int]] = {}
    pops = {p.id: p for p in rs.population}
    for pid in live:
        p = pops[pid]
        exprs = [p.arg, *p.by]
        for d in g.needed(exprs):
            if isinstance(d, ir.Let) and d.name not in pinned:
                exprs.append(d.expr)
            elif isinstance(d, ir.Dimension):
                exprs.extend(s.condition for s in d.segments if s.condition is not None)
        deps[pid] = {x.id for e in exprs for x in ir.walk(e) if isinstance(x, ir.PopulationStat) and x.id != pid}
    stages, done = [], set()
    while len(done) < len(live):
        ready = sorted(p for p in live - done if deps[p] <= done)
        stages.append(ready)
        done |= set(ready)
    return stages


_PROGRAMS: dict[tuple[int, frozenset, bool], Program] = {}


def compile_program(rs: ir.Ruleset, pinned: frozenset[str] = frozenset(), lenient: bool = False) -> Program:
    """Compiled once per ruleset object, set of pinned lets and leniency."""
    key = (id(rs), pinned, lenient)
    hit = _PROGRAMS.get(key)
    if hit is not None and hit.ruleset is rs:
        return hit
    if len(_PROGRAMS) > 256:
        _PROGRAMS.clear()
    _PROGRAMS[key] = program = _build(rs, pinned, lenient)
    return program


def _build(rs: ir.Ruleset, pinned: frozenset[str], lenient: bool) -> Program:
    source, line_map, stages = generate(rs, pinned, lenient)
    namespace = dict(RUNTIME)
    code = compile(source, f"<segdsl {rs.name}>", "exec")
    exec(code, namespace)
    pops = [namespace[f"pop_arg_{i}"] if f"pop_arg_{i}" in namespace else None for i in range(len(rs.population))]
    return Program(source, namespace["evaluate"], pops, stages, line_map, rs)


def compute_stats(program: Program, customers: list[Customer], params: dict, pins: dict,
                  frozen: dict[int, population.Stat] | None = None) -> list:
    S: list = [None] * len(program.ruleset.population)
    for pid, stat in (frozen or {}).items():
        S[pid] = stat
    for stage in program.stages:
        for pid in stage:
            if S[pid] is not None:
                continue
            node = program.ruleset.population[pid]
            arg = program.pop_args[pid]
            pairs = [arg(c.record, c.rows, params, S, pins) for c in customers]
            S[pid] = population.build(node.func, node.params, node.desc, pairs)
    return S


def evaluate_with_generated(rs: ir.Ruleset, customers: list[Customer], params: dict, pins: dict,
                            lenient: bool = False) -> list[dict]:
    """Same contract as the interpreter's run, for the dimensions: one dict per customer."""
    program = compile_program(rs, frozenset(pins), lenient)
    S = compute_stats(program, customers, params, pins)
    names = [d.name for d in rs.dimensions]
    return [dict(zip(names, program.evaluate(c.record, c.rows, params, S, pins))) for c in customers]
