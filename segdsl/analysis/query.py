"""One dimension's conditions as formulas in one z3 solver, asked questions within a time budget.

The checks (reach.py, overlaps.py, gaps.py) ask a `Query` whether some valid
customer satisfies a combination of segment conditions. Assumption literals
name the facts an answer may rest on (each earlier segment not matching,
each declared range), so an unsat core says which segments shadow a
segment, or which declared range makes a condition impossible.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from .. import ir
from .solver import Translator, Truth, fixed
from .units import Units
from .witness import Confirm, Witness, from_model


class OutOfTime(Exception):
    """The dimension's time budget ran out, or the solver gave up."""


class Unconfirmed(Exception):
    """The reference interpreter does not agree with the solver's witness."""


@dataclass
class Query:
    rs: ir.Ruleset
    d: ir.Dimension
    tr: Translator
    truths: list[Truth]
    confirm: Confirm
    deadline: float
    solver: z3.Solver = field(default_factory=z3.Solver)
    ranges: dict = field(default_factory=dict)        # assumption literal → why (words)
    nice: z3.BoolRef = field(default_factory=lambda: z3.Bool("everyday values"))
    absorbed: tuple = (0, 0, 0)

    @classmethod
    def build(cls, rs: ir.Ruleset, d: ir.Dimension, params: dict, confirm: Confirm, budget: float,
              units: Units | None = None) -> "Query":
        """`units`: what the file's other dimensions translated (units.py), shared by its Queries."""
        tr = Translator(rs, params, units)
        deadline = time.monotonic() + budget
        truths = []
        for s in d.segments:            # translating a very large dimension counts against its budget
            truths.append(tr.condition(d, s))
            if time.monotonic() > deadline:
                raise OutOfTime()
        q = cls(rs, d, tr, truths, confirm, deadline)
        q.solver.add(*tr.facts)
        for why, fact in tr.ranges:
            lit = z3.Bool(f"range:{len(q.ranges)}")
            q.solver.add(z3.Implies(lit, fact))
            q.ranges[lit] = why
        q.solver.add(z3.Implies(q.nice, z3.And(*[tr.nice(leaf) for leaf in tr.leaves.values()])))
        q.absorbed = (len(tr.facts), len(tr.ranges), len(tr.leaves))
        return q

    def absorb(self, *others: z3.Solver) -> None:
        """Adds what translating further expressions declared (new leaves, their ranges), to the
        dimension's solver and to `others`."""
        facts, ranges, leaves = self.absorbed
        for solver in (self.solver, *others):
            solver.add(*self.tr.facts[facts:])
        for why, fact in self.tr.ranges[ranges:]:
            lit = z3.Bool(f"range:{len(self.ranges)}")
            for solver in (self.solver, *others):
                solver.add(z3.Implies(lit, fact))
            self.ranges[lit] = why
        new = list(self.tr.leaves.values())[leaves:]
        if new:
            self.solver.add(z3.Implies(self.nice, z3.And(*[self.tr.nice(leaf) for leaf in new])))
        self.absorbed = (len(self.tr.facts), len(self.tr.ranges), len(self.tr.leaves))

    def witness_sat(self, *assumptions) -> bool:
        """As `sat`, looking first for a customer with everyday values (dates within 1900–2100,
        numbers within a billion), whom the message can name and whose arithmetic stays in range."""
        return self.sat(*assumptions, self.nice) or self.sat(*assumptions)

    def sat(self, *assumptions, solver: z3.Solver | None = None) -> bool:
        """Is there a valid customer for whom every assumption holds (besides the declared ranges)?
        `solver`: another one than the dimension's (`facts_only`)."""
        solver = solver or self.solver
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise OutOfTime()
        solver.set(timeout=max(1, int(left * 1000)))
        answer = check(solver, (*assumptions, *self.ranges))
        if answer == z3.unknown:
            raise OutOfTime()
        return answer == z3.sat

    def core(self) -> list:
        return list(self.solver.unsat_core())

    def facts_only(self) -> z3.Solver:
        """A solver with the declared facts and ranges and nothing of the segments: questions
        about one comparison are answered faster there."""
        small = z3.Solver()
        small.add(*self.tr.facts)
        for lit, fact in zip(self.ranges, (f for _, f in self.tr.ranges)):
            small.add(z3.Implies(lit, fact))
        return small

    def core_ids(self, solver: z3.Solver | None = None) -> set[int]:
        return {c.get_id() for c in (solver or self.solver).unsat_core()}

    def why(self, solver: z3.Solver | None = None) -> list[str]:
        """The declared ranges the last "no" rests on."""
        core = self.core_ids(solver)
        return [why for lit, why in self.ranges.items() if lit.get_id() in core]

    def witness(self) -> Witness:
        return from_model(self.tr, self.solver.model(), self.rs)

    def run(self, witness: Witness) -> tuple[dict, dict]:
        """The interpreter's values for the witness; a witness it cannot run is not confirmed."""
        try:
            return self.confirm(witness)
        except (ArithmeticError, ValueError) as exc:
            raise Unconfirmed() from exc

    def matches(self, truths: dict) -> list[str]:
        """The segments of this dimension whose condition is true for the witness."""
        return [s.name for s in self.d.segments if truths.get((self.d.name, s.name)) is True]


def check(solver: z3.Solver, assumptions: tuple) -> z3.CheckSatResult:
    """`solver.check(*assumptions)` for assumptions that are z3 Bools already, as z3's own
    method makes the call, without casting each one to Bool in Python first: a `first`
    dimension's questions carry every earlier segment's literal, and those casts cost about
    half as much as the solving itself (docs/performance.md, seventh round)."""
    if not all(type(a) is z3.BoolRef for a in assumptions):
        return solver.check(*assumptions)
    args = (z3.Ast * len(assumptions))(*[a.as_ast() for a in assumptions])
    return z3.CheckSatResult(z3.Z3_solver_check_assumptions(solver.ctx.ref(), solver.solver, len(assumptions), args))


def reads_inexact(e: ir.Expr | None, rs: ir.Ruleset, params: dict, seen: dict | None = None) -> bool:
    """Does the condition compute with numbers (through lets and dimensions it reads)? The solver
    does that in reals, the engines in float64: a "can never" answer over it is not made."""
    if e is None:
        return False
    seen = {} if seen is None else seen
    for x in walk_customer_level(e):
        if isinstance(x, ir.Arith) and x.type.kind.value == "number" and \
                not (fixed(x.left, params) and fixed(x.right, params)):
            return True
        if isinstance(x, ir.LetRef):
            if x.name not in seen:
                seen[x.name] = False
                let = rs.let(x.name)
                seen[x.name] = let is not None and reads_inexact(let.expr, rs, params, seen)
            if seen[x.name]:
                return True
        if isinstance(x, ir.DimRef):
            key = "dim:" + x.name
            if key not in seen:
                seen[key] = False
                dim = rs.dimension(x.name)
                seen[key] = any(reads_inexact(s.condition, rs, params, seen) for s in dim.segments)
            if seen[key]:
                return True
    return False


def walk_customer_level(e: ir.Expr):
    """The nodes of an expression, but not inside an aggregate or a population value: the solver
    gives those a value of their own (what their argument computes only decides when they are
    null, which the solver knows exactly)."""
    yield e
    if isinstance(e, (ir.Aggregate, ir.PopulationStat)):
        return
    for child in ir.children(e):
        yield from walk_customer_level(child)
