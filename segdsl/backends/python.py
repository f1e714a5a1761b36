"""The Python backend: a Plan → Python source, compiled once, run per customer.

Why generated code and not an interpreter: the hot loop of `apply` runs once
per customer over millions of rows, and a straight-line function with local
variables is several times faster than walking a tree. Nullability from the
type checker lets non-null values skip every null test.

The generator consumes the Plan (segdsl/passes): which definitions are live
and in what order, the population stages, and every aggregate over related
rows hoisted once. It is pure: an expression's code is a function of the
expression (temporaries are named by their nesting depth, constants are
interned by their text), and no line is emitted from inside an expression.
Statements are built by `_Function`, which puts each hoisted aggregate's one
loop before the first statement that reads it.

Safety: nothing from a rule file is pasted into the source as code.
1. Strings, numbers and dates become literals through `repr` (or
   constructor calls with integer arguments).
2. Rule names only appear in comments (made printable) and in
   `repr`-quoted dictionary keys.
3. Local variables are numbered (`f0` field, `p1` param, `v2` let, `d3`
   dimension, `a0` aggregate, `t2_0` and `n2` temporaries) or fixed (`row`,
   `value`, `hits`), never named after user identifiers.
Each generated line that starts a definition or a segment is mapped back to
its rule span (`Program.line_map`).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from .. import ir
from ..builtins import BUILTINS
from ..passes import Plan, build_plan
from ..passes.dependencies import aggregates_read, definition_exprs, walk
from ..runtime import population
from ..runtime.limits import add_days, whole
from ..runtime.customers import Customer, UniqueConflict
from ..runtime.population import fsum
from ..source import Span
from ..types import Kind

# The generated functions' parameters: one customer's record and related rows, the
# ruleset's params, the population statistics (by id) and the pinned lets (by name).
SIGNATURE = "record, rows, params, stats, pins"
# `bind(params, stats, pins)` gives the per-customer function of a run, `evaluate(record, rows)`
BOUND_SIGNATURE = "record, rows"
# a batch of customers with no related rows: their fields as columns, how many they are
COLUMNS_SIGNATURE = "columns, n, params, stats, pins"


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


# nodes whose code is a local variable: evaluating it twice costs nothing
_NAMED = (ir.FieldRef, ir.ParamRef, ir.LetRef, ir.DimRef, ir.AggregateRef)


def _never_null(e: ir.Expr) -> bool:
    """Arithmetic on constants that cannot give null, so a null test of it is a constant.

    Its code is also a literal to Python (`(1 / 2)`, `(-3)`), and a literal with
    `is`/`is not` is a SyntaxWarning when the generated module is compiled."""
    match e:
        case ir.Const(value=v):
            return v is not None
        case ir.Neg(operand=o):
            return _never_null(o) and not e.type.nullable       # -(-2**63) is null
        case ir.Arith(op="div", left=l, right=r):
            return _never_null(l) and isinstance(r, ir.Const) and r.value not in (0, None)
        case ir.Arith(op="add" | "sub" | "mul", left=l, right=r):
            return _never_null(l) and _never_null(r) and not e.type.nullable   # beyond 64 bits is null
    return False


def _strip_nullability(e: ir.Expr) -> ir.Expr:
    """The same comparison with its operands typed non-null (their nulls are tested outside)."""
    def strip(x: ir.Expr) -> ir.Expr:
        if isinstance(x, ir.Const) or not x.type.nullable:
            return x
        return replace(x, type=x.type.with_nullable(False))
    non_null = e.type.with_nullable(False)
    if isinstance(e, ir.Compare):
        return replace(e, left=strip(e.left), right=strip(e.right), type=non_null)
    if isinstance(e, ir.Between):
        return replace(e, operand=strip(e.operand), low=strip(e.low), high=strip(e.high), type=non_null)
    if isinstance(e, ir.InList):
        return replace(e, operand=strip(e.operand), type=non_null)
    return e


def _equal_to_a_value(e: ir.Expr) -> bool:
    """`x = c` or `x in [c, ...]` with x a name and every c a non-null constant: Python's `==`
    and `in` are False for a null x, so their truth needs no null test of x."""
    if isinstance(e, ir.Compare) and e.op == "=":
        values = [o for o in (e.left, e.right) if isinstance(o, ir.Const)]
        names = [o for o in (e.left, e.right) if isinstance(o, _NAMED)]
        return len(values) == 1 and len(names) == 1 and values[0].value is not None
    if isinstance(e, ir.InList) and not e.negated:
        return isinstance(e.operand, _NAMED) and all(isinstance(i, ir.Const) and i.value is not None
                                                      for i in e.items)
    return False


def _safe_comment(text: str) -> str:
    return "".join(ch if ch.isprintable() and ch not in "\r\n" else "?" for ch in text)


# ---- runtime helpers the generated code calls (nullable slow paths only) ----

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
    "_D": dt.date, "_DT": dt.datetime, "_TD": dt.timedelta,
    "_in3": _in3, "_between3": _between3, "_whole": whole, "_add_days": add_days, "_fsum": fsum, "_fsum0": _fsum0,
    "_Conflict": UniqueConflict, "_combine": dt.datetime.combine, "_midnight": dt.time(),
}


# ---- names ----

class _Names:
    """Every local and module-level name of one generated module, numbered.

    Names are functions of what they name (a field's index in its schema, a
    definition's place in the plan), so asking twice gives the same answer.
    Constants are interned: the same literal text is always the same `K` name."""

    def __init__(self, plan: Plan):
        rs = plan.ruleset
        self.variables = {d.name: f"{'d' if isinstance(d, ir.Dimension) else 'v'}{i}"
                          for i, d in enumerate(rs.definitions)}
        self.fields = {f.name: f"f{i}" for i, f in enumerate(rs.customer.fields)} if rs.customer else {}
        self.params = {p.name: f"p{i}" for i, p in enumerate(rs.params)}
        self.aggregates = {a.name: f"a{i}" for i, a in enumerate(plan.aggregates)}
        self.constants: dict[str, str] = {}

    def constant(self, code: str) -> str:
        return self.constants.setdefault(code, f"K{len(self.constants)}")

    def constant_lines(self) -> list[str]:
        return [f"{name} = {code}" for code, name in self.constants.items()]


# ---- expressions ----

class _Expressions:
    """IR expression → Python expression text, one short `visit_<Node>` per node kind.

    Three-valued logic (LANGUAGE.md §6) is the default: null is `None`. A
    segment matches only when its condition is *true*, so conditions are
    generated in a truth context (`truth`, `falsity`), where it collapses to
    plain Python booleans. A temporary belongs to the node that binds it and is
    named by the node's depth, so sibling subtrees reuse names safely (each is
    finished before the next starts) and the text never depends on what was
    generated before."""

    ROW = "row"           # the loop variable over a customer's related rows

    def __init__(self, names: _Names, lenient: bool):
        self.names = names
        self.lenient = lenient
        self.depth = 0

    def code(self, e: ir.Expr) -> str:
        self.depth += 1
        try:
            return getattr(self, "visit_" + type(e).__name__)(e)
        finally:
            self.depth -= 1

    def temp(self, i: int) -> str:
        return f"t{self.depth}_{i}"

    # -- null policy --
    def nullable(self, e: ir.Expr) -> bool:
        if isinstance(e, ir.Const):
            return e.value is None
        # test records may leave required fields out, so then nothing but a constant is sure to be set
        return True if self.lenient else e.type.nullable

    def null_guard(self, operands, build: Callable[..., str], extra: Callable[..., str] | None = None) -> str:
        """`build(...)` when no operand is null, else None; each operand evaluated once."""
        codes = [self.code(o) for o in operands]
        nullable = [self.nullable(o) for o in operands]
        if not any(nullable) and extra is None:
            return build(*codes)
        names, checks = [], []
        for i, (o, code, nul) in enumerate(zip(operands, codes, nullable)):
            if isinstance(o, (ir.Const, *_NAMED)):
                names.append(code)
                if nul:
                    checks.append(f"{code} is None")
            else:
                t = self.temp(i)
                names.append(t)
                checks.append(f"({t} := {code}) is None" if nul else f"({t} := {code}) is _NEVER")
        if extra is not None:
            checks.append(extra(*names))
        return f"(None if {' or '.join(checks)} else {build(*names)})"

    def not3(self, code: str) -> str:
        t = f"n{self.depth}"
        return f"(None if ({t} := {code}) is None else not {t})"

    # -- values --
    def visit_Const(self, e: ir.Const) -> str:
        if e.type.kind is Kind.LIST:
            return "(" + "".join(self.code(i) + ", " for i in e.value) + ")"
        if isinstance(e.value, (dt.date, tuple)):
            return self.names.constant(_lit(e.value))
        return _lit(e.value)

    def visit_FieldRef(self, e: ir.FieldRef) -> str:
        return self.names.fields[e.name]

    def visit_RowFieldRef(self, e: ir.RowFieldRef) -> str:
        return f"{self.ROW}[{e.name!r}]"

    def visit_ParamRef(self, e: ir.ParamRef) -> str:
        return self.names.params[e.name]

    def visit_LetRef(self, e: ir.LetRef) -> str:
        return self.names.variables[e.name]

    visit_DimRef = visit_LetRef

    def visit_AggregateRef(self, e: ir.AggregateRef) -> str:
        return self.names.aggregates[e.name]

    def visit_PopulationStat(self, e: ir.PopulationStat) -> str:
        key = "(" + "".join(self.code(b) + ", " for b in e.by) + ")"
        return f"stats[{e.id}].value({self.code(e.arg)}, {key})"

    # -- arithmetic --
    def visit_Arith(self, e: ir.Arith) -> str:
        l, r = e.left, e.right
        if e.op in ("date_add", "date_sub"):      # None outside years 1 to 9999 (runtime/limits.py)
            sign = "" if e.op == "date_add" else "-"
            return self.null_guard([l, r], lambda a, b: f"_add_days({a}, {sign}{b})")
        if e.op == "div":
            if isinstance(r, ir.Const) and r.value not in (0, None):
                divisor = self.code(r)
                return self.null_guard([l], lambda a: f"({a} / {divisor})")
            return self.null_guard([l, r], lambda a, b: f"({a} / {b})", extra=lambda a, b: f"{b} == 0")
        sym = {"add": "+", "sub": "-", "mul": "*"}[e.op]
        return self.null_guard([l, r], lambda a, b: self.whole(e, f"{a} {sym} {b}"))

    def visit_Neg(self, e: ir.Neg) -> str:
        return self.null_guard([e.operand], lambda a: self.whole(e, f"-{a}"))

    def whole(self, e: ir.Expr, code: str) -> str:
        """A whole-number result kept only within 64 bits, else None (runtime/limits.py); a
        result the checker knows to fit, or a real number, as it is. One pair of parentheses
        either way: Python's compiler takes at most 200 nested."""
        if e.type.kind is not Kind.INT or not e.type.nullable:
            return f"({code})"
        return f"_whole({code})"

    def visit_Func(self, e: ir.Func) -> str:
        builtin = BUILTINS[e.name]
        if builtin.null_aware:
            return getattr(self, "call_" + e.name)(e.args)
        kinds = tuple(a.type.kind for a in e.args)
        if builtin.may_overflow and e.type.kind is Kind.INT and e.type.nullable:
            return self.null_guard(list(e.args), lambda *codes: self.whole(e, builtin.python(codes, kinds)))
        return self.null_guard(list(e.args), lambda *codes: builtin.python(codes, kinds))

    def call_coalesce(self, args: tuple[ir.Expr, ...]) -> str:
        code = self.code(args[-1])
        for i in reversed(range(len(args) - 1)):
            t = self.temp(i)
            code = f"({t} if ({t} := {self.code(args[i])}) is not None else {code})"
        return code

    # -- comparisons --
    def visit_Compare(self, e: ir.Compare) -> str:
        sym = "==" if e.op == "=" else e.op
        return self.null_guard([e.left, e.right], lambda a, b: f"({a} {sym} {b})")

    def visit_Between(self, e: ir.Between) -> str:
        operands = (e.operand, e.low, e.high)
        if not any(self.nullable(o) for o in operands):
            code = f"({self.code(e.low)} <= {self.code(e.operand)} <= {self.code(e.high)})"
            return f"(not {code})" if e.negated else code
        code = f"_between3({', '.join(self.code(o) for o in operands)})"
        return self.not3(code) if e.negated else code

    def visit_InList(self, e: ir.InList) -> str:
        if all(isinstance(i, ir.Const) and i.value is not None for i in e.items):
            pool = self.names.constant("frozenset(" + _lit(tuple(i.value for i in e.items)) + ")")
            code = self.null_guard([e.operand], lambda a: f"({a} in {pool})")
            if not e.negated:
                return code
            return self.not3(code) if self.nullable(e.operand) else f"(not {code})"
        code = f"_in3({self.code(e.operand)}, ({''.join(self.code(i) + ', ' for i in e.items)}))"
        return self.not3(code) if e.negated else code

    def visit_InTags(self, e: ir.InTags) -> str:
        return f"({e.segment!r} {'not in' if e.negated else 'in'} {self.names.variables[e.dimension]})"

    def visit_IsNull(self, e: ir.IsNull) -> str:
        o = e.operand
        if isinstance(o, ir.Const):
            return repr((o.value is None) != e.negated)
        if _never_null(o):
            return repr(e.negated)
        return f"({self.code(o)} is {'not ' if e.negated else ''}None)"

    # -- logic --
    def visit_And(self, e: ir.And) -> str:
        return self.connective(e.items, "and", decides=False)

    def visit_Or(self, e: ir.Or) -> str:
        return self.connective(e.items, "or", decides=True)

    def connective(self, items, word: str, decides: bool) -> str:
        """`and`/`or` in three values: the first item equal to `decides` decides, else any null is null."""
        if not any(self.nullable(i) for i in items):
            return "(" + f" {word} ".join(self.code(i) for i in items) + ")"
        temps = [self.temp(i) for i in range(len(items))]
        first = " or ".join(f"({t} := {self.code(i)}) is {decides}" for t, i in zip(temps, items))
        unknown = " or ".join(f"{t} is None" for t in temps)
        return f"({decides} if {first} else (None if {unknown} else {not decides}))"

    def visit_Not(self, e: ir.Not) -> str:
        code = self.code(e.operand)
        return self.not3(code) if self.nullable(e.operand) else f"(not {code})"

    def visit_Case(self, e: ir.Case) -> str:
        parts = "".join(f"{self.code(v)} if {self.truth(c)} else " for c, v in e.whens)
        return "(" + parts + (self.code(e.else_) if e.else_ is not None else "None") + ")"

    # -- truth context: a Python bool equal to `code(e) is True` / `code(e) is False` --
    def truth(self, e: ir.Expr) -> str:
        if isinstance(e, ir.Const):
            return repr(e.value is True)
        if not self.nullable(e):
            return self.code(e)
        method = getattr(self, "truth_" + type(e).__name__, None)
        return method(e) if method is not None else f"({self.code(e)} is True)"

    def falsity(self, e: ir.Expr) -> str:
        if isinstance(e, ir.Const):
            return repr(e.value is False)
        if not self.nullable(e):
            return f"(not {self.code(e)})"
        method = getattr(self, "falsity_" + type(e).__name__, None)
        return method(e) if method is not None else f"({self.code(e)} is False)"

    def truth_And(self, e: ir.And) -> str:
        return "(" + " and ".join(self.truth(i) for i in e.items) + ")"

    def truth_Or(self, e: ir.Or) -> str:
        return "(" + " or ".join(self.truth(i) for i in e.items) + ")"

    def truth_Not(self, e: ir.Not) -> str:
        return self.falsity(e.operand)

    def truth_Compare(self, e: ir.Compare) -> str:
        return self.guarded(e, negate=False)

    def truth_Between(self, e: ir.Between) -> str:
        return f"({self.code(e)} is True)" if e.negated else self.guarded(e, negate=False)

    truth_InList = truth_Between

    def falsity_And(self, e: ir.And) -> str:
        return "(" + " or ".join(self.falsity(i) for i in e.items) + ")"

    def falsity_Or(self, e: ir.Or) -> str:
        return "(" + " and ".join(self.falsity(i) for i in e.items) + ")"

    def falsity_Not(self, e: ir.Not) -> str:
        return self.truth(e.operand)

    def falsity_Compare(self, e: ir.Compare) -> str:
        return self.guarded(e, negate=True)

    def falsity_InList(self, e: ir.InList) -> str:
        return f"({self.code(e)} is False)" if e.negated else self.guarded(e, negate=True)

    def falsity_Between(self, e: ir.Between) -> str:
        # with a null bound, `x between lo and hi` is still false when the other bound decides
        if e.negated or self.nullable(e.low) or self.nullable(e.high):
            return f"({self.code(e)} is False)"
        return self.guarded(e, negate=True)

    def null_tested(self, e: ir.Expr) -> tuple[list[str], str] | None:
        """A comparison split into the names it must test for null and the comparison of their
        values (its operands typed non-null), or None when its nullable operands are not all
        plain names (or one is a null constant, or a list holds expressions)."""
        operands = ir.children(e)
        if any(self.nullable(o) and not isinstance(o, (ir.Const, *_NAMED)) for o in operands) \
                or any(isinstance(o, ir.Const) and o.value is None for o in operands) \
                or (isinstance(e, ir.InList) and not all(isinstance(i, ir.Const) for i in e.items)):
            return None
        return [self.code(o) for o in operands if self.nullable(o)], self.code(_strip_nullability(e))

    def one_guard(self, e: ir.Expr) -> tuple[str, str] | None:
        """(X, BODY) when `truth(e)` is `(X is not None and BODY)`: a comparison whose one
        nullable operand is the named value X; else None."""
        if not (isinstance(e, ir.Compare) or isinstance(e, (ir.Between, ir.InList)) and not e.negated) \
                or not self.nullable(e):
            return None
        split = self.null_tested(e)
        if split is None or len(split[0]) != 1:
            return None
        return split[0][0], split[1]

    def guarded(self, e: ir.Expr, negate: bool) -> str:
        """A comparison whose nullable operands are plain names: `x is not None and x >= 3`."""
        split = self.null_tested(e)
        if split is None:
            return f"({self.code(e)} is {'False' if negate else 'True'})"
        names, body = split
        if not negate and _equal_to_a_value(e):
            return body             # `x == 'F'`, `x in K0`: false for a null x without a test
        body = f"(not {body})" if negate else body
        return "(" + " and ".join([f"{n} is not None" for n in names] + [body]) + ")"


# ---- statements ----

_AGGREGATE_START = {"count": "0", "count_distinct": "set()", "sum": "[]", "avg": "[]", "min": "None", "max": "None"}


@dataclass
class _Function:
    """The statements of one generated function, with the hoisted aggregates' loops
    emitted once each, before the first statement that reads them."""
    name: str
    plan: Plan
    names: _Names
    exprs: _Expressions
    lines: list[str] = field(default_factory=list)
    spans: list[tuple[int, Span]] = field(default_factory=list)
    computed: set[str] = field(default_factory=set)      # aggregates whose loop is emitted
    reads: list[ir.Expr] = field(default_factory=list)   # every expression computed, for the loads

    def emit(self, line: str, span: Span | None = None) -> None:
        if span is not None:
            self.spans.append((len(self.lines), span))
        self.lines.append("    " + line)

    def comment(self, text: str) -> None:
        self.lines.append("    # " + _safe_comment(text))

    def before(self, exprs) -> None:
        """Loops for the aggregates these expressions read that no earlier statement read."""
        self.reads.extend(exprs)
        for name in aggregates_read(exprs):
            if name not in self.computed:
                self.aggregate(name)

    def aggregate(self, name: str) -> None:
        """One loop over a customer's rows of one related input; afterwards the aggregate's
        variable holds its value."""
        node = self.plan.aggregate(name)
        self.before([x for x in (node.where, node.arg) if x is not None])   # aggregates they read, first
        self.computed.add(name)
        code, acc, value = self.exprs, self.names.aggregates[name], "value"
        self.emit(f"{acc} = {_AGGREGATE_START[node.func]}")
        self.emit(f"for {code.ROW} in rows.get({node.related!r}, ()):")
        if node.where is not None:
            self.emit(f"    if not ({code.truth(node.where)}):")
            self.emit("        continue")
        if node.arg is None:
            self.emit(f"    {acc} += 1")
        else:
            self.emit(f"    {value} = {code.code(node.arg)}")
            guard = f"if {value} is not None: " if code.nullable(node.arg) else ""
            update = {
                "count": f"{acc} += 1",
                "count_distinct": f"{acc}.add({value})",
                "sum": f"{acc}.append({value})",
                "avg": f"{acc}.append({value})",
                "min": f"{acc} = {value} if {acc} is None or {value} < {acc} else {acc}",
                "max": f"{acc} = {value} if {acc} is None or {value} > {acc} else {acc}",
            }[node.func]
            self.emit(f"    {guard}{update}")
        result = {
            "count_distinct": f"len({acc})",
            "sum": f"_whole(sum({acc}))" if node.type.kind is Kind.INT else f"_fsum0({acc})",
            "avg": f"(_fsum({acc}) / len({acc}) if {acc} else None)",
        }.get(node.func)
        if result is not None:
            self.emit(f"{acc} = {result}")

    def definition(self, d: ir.Definition) -> None:
        getattr(self, "define_" + type(d).__name__)(d)

    def define_Let(self, d: ir.Let) -> None:
        var = self.names.variables[d.name]
        self.comment(f"let {d.name}  ({d.span})")
        if d.name in self.plan.pinned:
            self.emit(f"{var} = pins[{d.name!r}]", d.span)
            return
        self.before([d.expr])
        self.emit(f"{var} = {self.exprs.code(d.expr)}", d.span)

    def define_Dimension(self, d: ir.Dimension) -> None:
        self.comment(f"dimension {d.name} {d.policy}  ({d.span})")
        self.before(definition_exprs(d))
        tests = [self.exprs.truth(s.condition) for s in d.segments]
        getattr(self, "policy_" + d.policy)(d, self.names.variables[d.name], tests)

    def policy_first(self, d: ir.Dimension, var: str, tests: list[str]) -> None:
        default = repr(d.otherwise.name) if d.otherwise else "None"
        if not d.segments:
            self.emit(f"{var} = {default}")
            return
        guards = [self.exprs.one_guard(s.condition) for s in d.segments]
        first = "if"
        if len(guards) > 1 and all(g is not None and g[0] == guards[0][0] for g in guards):
            # a threshold ladder on one nullable value (`arpu >= 300`, `arpu >= 150`, ...): its
            # null test once, not once per segment, as a hand-written chain has it
            self.emit(f"if {guards[0][0]} is None:", d.span)
            self.emit(f"    {var} = {default}")
            tests, first = [body for _, body in guards], "elif"
        for i, (s, test) in enumerate(zip(d.segments, tests)):
            self.emit(f"{first if i == 0 else 'elif'} {test}:  # {_safe_comment(s.name)}", s.span)
            self.emit(f"    {var} = {s.name!r}")
        self.emit("else:", d.otherwise.span if d.otherwise else None)
        self.emit(f"    {var} = {default}")

    def matches(self, d: ir.Dimension, tests: list[str], var: str = "hits") -> str:
        """Every matching segment's name, in order, into the tuple `var`; returns its name.
        A tuple grown by `+=` of a constant one-name tuple costs less than a list, its
        appends and a final `tuple()` (about a tenth of a customer's time in the benchmark
        ruleset): few segments of a dimension match one customer."""
        self.emit(f"{var} = ()")
        guards = [self.exprs.one_guard(s.condition) for s in d.segments]
        i = 0
        while i < len(d.segments):
            # consecutive segments comparing one nullable value with constants share its null test
            run = 1
            while guards[i] is not None and i + run < len(d.segments) and guards[i + run] is not None \
                    and guards[i + run][0] == guards[i][0]:
                run += 1
            if run > 1:
                self.emit(f"if {guards[i][0]} is not None:")
                for s, (_, body) in zip(d.segments[i:i + run], guards[i:i + run]):
                    self.emit(f"    if {body}:  # {_safe_comment(s.name)}", s.span)
                    self.emit(f"        {var} += ({s.name!r},)")
            else:
                self.emit(f"if {tests[i]}:  # {_safe_comment(d.segments[i].name)}", d.segments[i].span)
                self.emit(f"    {var} += ({d.segments[i].name!r},)")
            i += run
        return var

    def policy_all(self, d: ir.Dimension, var: str, tests: list[str]) -> None:
        self.matches(d, tests, var)

    def policy_unique(self, d: ir.Dimension, var: str, tests: list[str]) -> None:
        hits = self.matches(d, tests)
        default = repr(d.otherwise.name) if d.otherwise else "None"
        self.emit(f"{var} = {hits}[0] if len({hits}) == 1 else "
                  f"({default} if not {hits} else _Conflict({d.name!r}, {hits}))")

    def source(self, result: list[ir.Expr], result_code: Callable[[], str]) -> tuple[str, list[tuple[int, Span]]]:
        """The function's text (loads of the fields and params it reads, the statements, the
        return of `result`) and its line map relative to the `def` line."""
        self.before(result)
        body = self.lines + [f"    return {result_code()}"]
        fields, params = self.loads()
        loads = [f"    {var} = record[{n!r}]" for n, var in fields] + [f"    {var} = params[{n!r}]" for n, var in params]
        head = [f"def {self.name}({SIGNATURE}):"]
        offset = len(head) + len(loads)
        return "\n".join(head + loads + body), [(i + offset, s) for i, s in self.spans]

    def bound_source(self, result: list[ir.Expr], result_code: Callable[[], str]) -> tuple[str, list[tuple[int, Span]]]:
        """`bind(params, stats, pins)`, which loads the params a run reads once and returns the
        per-customer function `evaluate(record, rows)` (these statements, indented once more),
        then `evaluate(record, rows, params, stats, pins)` for a single call, through it. A
        run calls `bind` once: the function it gets reads its params, statistics and pins from
        its closure, where `evaluate` looked the params up in their dict for every customer
        and took five arguments (together about a twentieth of a customer's time in the
        benchmark ruleset). The line map is relative to the `def bind` line."""
        self.before(result)
        fields, params = self.loads()
        head = [f"def bind(params, stats, pins):"] + [f"    {var} = params[{n!r}]" for n, var in params]
        head += [f"    def {self.name}({BOUND_SIGNATURE}):"] + [f"        {var} = record[{n!r}]" for n, var in fields]
        body = ["    " + line for line in self.lines] + [f"        return {result_code()}", f"    return {self.name}",
                                                          "", "",
                                                          f"def {self.name}({SIGNATURE}):",
                                                          f"    return bind(params, stats, pins)(record, rows)"]
        return "\n".join(head + body), [(i + len(head), s) for i, s in self.spans]

    def loads(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(field name, local) and (param name, local) of what the statements read, in schema order."""
        aggregates = {a.name: a.node for a in self.plan.aggregates}
        read = {x for e in self.reads for x in walk(e, aggregates) if isinstance(x, (ir.FieldRef, ir.ParamRef))}
        field_names = {x.name for x in read if isinstance(x, ir.FieldRef)}
        param_names = {x.name for x in read if isinstance(x, ir.ParamRef)}
        return ([(n, var) for n, var in self.names.fields.items() if n in field_names],
                [(n, var) for n, var in self.names.params.items() if n in param_names])

    def column_source(self, name: str, result_code: str) -> tuple[str, list[tuple[int, Span]]]:
        """The same statements once per customer of a batch given as columns (field name → list
        of values): one call and one loop for the batch, each field's value taken from its
        column by `zip`, where `evaluate` is called per customer and looks each field up in a
        record built for it. The statements' text is `evaluate`'s, indented once more, so the
        two can never differ. Only for statements that loop over no related rows."""
        fields, params = self.loads()
        head = [f"def {name}({COLUMNS_SIGNATURE}):"]
        head += [f"    {var} = params[{n!r}]" for n, var in params]
        head += ["    out = []", "    append = out.append"]
        if fields:
            names = "".join(f"{var}, " for _, var in fields)
            head.append(f"    for {names}in zip({', '.join(f'columns[{n!r}]' for n, _ in fields)}):")
        else:
            head.append("    for _ in range(n):")
        body = ["    " + line for line in self.lines] + [f"        append({result_code})", "    return out"]
        return "\n".join(head + body), [(i + len(head), s) for i, s in self.spans]


# ---- the module ----

def _plan(plan_or_ruleset: Plan | ir.Ruleset) -> Plan:
    return plan_or_ruleset if isinstance(plan_or_ruleset, Plan) else build_plan(plan_or_ruleset)


def generate(plan: Plan | ir.Ruleset, lenient: bool = False) -> tuple[str, list[tuple[int, Span]]]:
    """Source text and line map (generated line → rule span) of a plan (a ruleset: its plan
    with nothing pinned): one `pop_arg_N` per live population statistic, then `bind` (a run's
    `evaluate(record, rows)`) and `evaluate` (one call), and without related inputs
    `evaluate_columns`, the same statements over a batch's columns.

    `lenient` code makes no use of non-null types: for test records, which may
    leave a required field missing (LANGUAGE.md §7)."""
    plan = _plan(plan)
    rs = plan.ruleset
    names = _Names(plan)
    exprs = _Expressions(names, lenient)
    functions = []
    for pid in sorted(plan.live_stats):
        stat = rs.population[pid]
        fn = _Function(f"pop_arg_{pid}", plan, names, exprs)
        for d in plan.stat_definitions[pid]:
            fn.definition(d)

        def argument(stat=stat) -> str:
            key = "(" + "".join(exprs.code(b) + ", " for b in stat.by) + ")"
            return f"({exprs.code(stat.arg)}, {key})"
        functions.append(fn.source([stat.arg, *stat.by], argument))
    fn = _Function("evaluate", plan, names, exprs)
    for d in plan.definitions:
        fn.definition(d)
    result = "(" + "".join(names.variables[d.name] + ", " for d in rs.dimensions) + ")"
    functions.append(fn.bound_source([], lambda: result))
    if not plan.aggregates:
        functions.append(fn.column_source("evaluate_columns", result))
    lines = [f"# generated by segdsl from {_safe_comment(rs.path)}: ruleset {_safe_comment(rs.name)}"
             f"{' version ' + _safe_comment(rs.version) if rs.version else ''}",
             "_NEVER = object()", *names.constant_lines()]
    line_map = []
    for code, spans in functions:
        lines.append("")
        start = len(lines) + 1                    # 1-based line of the `def`
        line_map.extend((start + i, sp) for i, sp in spans)
        lines.extend(code.split("\n"))
    return "\n".join(lines) + "\n", line_map


@dataclass
class Program:
    """A compiled plan: Python source and the functions built from it."""
    source: str
    evaluate: Callable                        # (record, rows, params, stats, pins): one customer
    bind: Callable                            # (params, stats, pins) → evaluate(record, rows), for a run
    evaluate_columns: Callable | None         # None: the rules read related rows
    pop_args: list[Callable | None]           # by population statistic id; None when not live
    stages: list[list[int]]
    line_map: list[tuple[int, Span]]          # generated line (1-based) → rule span
    ruleset: ir.Ruleset
    plan: Plan

    def span_for_line(self, line: int) -> Span | None:
        best = None
        for ln, sp in self.line_map:
            if ln <= line:
                best = sp
        return best


_PROGRAMS: dict[tuple[int, bool], Program] = {}


def compile_program(plan: Plan | ir.Ruleset, pinned: frozenset[str] = frozenset(), lenient: bool = False) -> Program:
    """Compiled once per plan and leniency. Given a ruleset, its plan with `pinned` lets (a plan
    knows its own pinned lets)."""
    if not isinstance(plan, Plan):
        plan = build_plan(plan, frozenset(pinned))
    elif pinned and frozenset(pinned) != plan.pinned:
        raise ValueError(f"the plan pins {sorted(plan.pinned)}, not {sorted(pinned)}: build the plan with them")
    key = (id(plan), lenient)
    hit = _PROGRAMS.get(key)
    if hit is not None and hit.plan is plan:
        return hit
    if len(_PROGRAMS) > 256:
        _PROGRAMS.clear()
    _PROGRAMS[key] = program = _build(plan, lenient)
    return program


def _build(plan: Plan, lenient: bool) -> Program:
    rs = plan.ruleset
    source, line_map = generate(plan, lenient)
    namespace = dict(RUNTIME)
    exec(compile(source, f"<segdsl {rs.name}>", "exec"), namespace)
    pops = [namespace.get(f"pop_arg_{i}") for i in range(len(rs.population))]
    stages = [list(stage) for stage in plan.stages]
    return Program(source, namespace["evaluate"], namespace["bind"], namespace.get("evaluate_columns"), pops, stages,
                   line_map, rs, plan)


def compute_stats(program: Program, customers: list[Customer], params: dict, pins: dict,
                  frozen: dict[int, population.Stat] | None = None) -> list:
    """Every live population statistic over these customers, stage by stage (frozen ones as given)."""
    stats: list = [None] * len(program.ruleset.population)
    for pid, stat in (frozen or {}).items():
        stats[pid] = stat
    for stage in program.stages:
        for pid in stage:
            if stats[pid] is not None:
                continue
            node = program.ruleset.population[pid]
            argument = program.pop_args[pid]
            pairs = [argument(c.record, c.rows, params, stats, pins) for c in customers]
            stats[pid] = population.build(node.func, node.params, node.desc, pairs)
    return stats


def evaluate_with_generated(rs: ir.Ruleset, customers: list[Customer], params: dict, pins: dict,
                            lenient: bool = False) -> list[dict]:
    """Same contract as the interpreter's run, for the dimensions: one dict per customer."""
    program = compile_program(rs, frozenset(pins), lenient)
    stats = compute_stats(program, customers, params, pins)
    names = [d.name for d in rs.dimensions]
    evaluate = program.bind(params, stats, pins)
    return [dict(zip(names, evaluate(c.record, c.rows))) for c in customers]
