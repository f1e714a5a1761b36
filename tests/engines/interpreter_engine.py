"""A toy engine: the reference interpreter behind the engine contract.

It exists to show (and test) that an engine is one object and one
registration: it composes the public parts of segdsl/engines (InputRows for
reading and validation, BadRows through them, Layout and the atomic writers
for output) and subclasses nothing. tests/conformance/conftest.py registers
it, and the conformance suite runs every case on it through Engine.run_tables.
"""
from __future__ import annotations

from contextlib import ExitStack

from segdsl.backends.interp import Interpreter
from segdsl.engines.base import Supports, run_guarded, run_tables_through_files
from segdsl.engines.options import ApplyOptions, Summary
from segdsl.engines.output import Batches, Layout, conflict, finish, open_writers
from segdsl.engines.rows import InputRows
from segdsl.passes import Plan

NAME = "interpreter"


class InterpreterEngine:
    name = NAME
    supports = Supports()

    def available(self) -> bool:
        return True

    def apply(self, plan: Plan, options: ApplyOptions) -> Summary:
        return run_guarded(plan.ruleset, options, lambda: _run(plan, options))

    def run_tables(self, plan, tables, options, names=None):
        return run_tables_through_files(self, plan, tables, options, names)


def _run(plan: Plan, options: ApplyOptions) -> Summary:
    rs = plan.ruleset
    rows = InputRows(rs, options)
    layout = Layout(rs, options.labels, options.attributes, rows.keep_columns())
    with ExitStack() as stack:
        out, quarantine = open_writers(stack, rows, layout)
        customers, raws = rows.load_customers(bool(layout.keep))
        envs = Interpreter.for_plan(plan, options.params, stats=options.stats).run(customers)
        name = rows.main_input()
        with Batches(out, options.batch_size, rows.summary) as batches:
            for c, env in zip(customers, envs):
                values = tuple(env[d.name] for d in rs.dimensions)
                bad = conflict(values)
                if bad is not None:
                    rows.bad.add(name, rows.locate(name, c.row), bad.reason())
                    continue
                batches.add(layout.row(c.key, values, raws.get(c.key)))
    return finish(rows.summary, layout, options, quarantine)
