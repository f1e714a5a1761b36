"""The Python engine: generated code over record batches.

Without population statistics or related inputs it streams: one batch in,
one batch out, memory bounded by the batch size. A batch Arrow proved clean is
segmented a whole batch at a time by the vector form (backends/vector.py) where
the rules have one, else by the generated code over its columns; a batch the
vector form calls Inexact (a value Arrow would compute otherwise than Python, a
`unique` conflict) goes to the generated code, so both give the same segments
and the same bad rows. Population statistics and related rows need every
customer first, so then the customers (only their declared fields) are held in
memory between the two passes.
"""
from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING

from ..backends.python import compile_program, compute_stats
from ..backends.vector import Inexact, compile_vector
from .base import Supports, run_guarded, run_tables_through_files
from .options import ApplyOptions, Summary
from .output import ColumnBatches, Layout, conflict, finish, open_writers
from .rows import InputRows

if TYPE_CHECKING:
    from ..passes import Plan

_NO_ROWS: dict = {}


class PythonEngine:
    name = "python"
    supports = Supports()

    def available(self) -> bool:
        return True

    def apply(self, plan: "Plan", options: ApplyOptions) -> Summary:
        return run_guarded(plan.ruleset, options, lambda: _PythonRun(plan, options).run())

    def run_tables(self, plan, tables, options, names=None):
        return run_tables_through_files(self, plan, tables, options, names)


ENGINE = PythonEngine()


class _PythonRun:
    def __init__(self, plan: "Plan", opts: ApplyOptions):
        self.rs, self.plan, self.opts = plan.ruleset, plan, opts
        self.rows = InputRows(self.rs, opts)
        self.summary = self.rows.summary

    def run(self) -> Summary:
        rs, opts = self.rs, self.opts
        program = compile_program(self.plan)
        layout = Layout(rs, opts.labels, opts.attributes, self.rows.keep_columns())
        with ExitStack() as stack:
            out, quarantine = open_writers(stack, self.rows, layout)
            frozen = opts.stats or {}
            if not rs.related and all(pid in frozen for pid in self.plan.live_stats):
                # no statistic left to compute over the whole input: one pass, bounded memory
                self.stream(program, layout, out)
            else:
                self.two_pass(program, layout, out)
        return finish(self.summary, layout, opts, quarantine)

    def stream(self, program, layout: Layout, out) -> None:
        rows = self.rows
        rows.bad.in_order = True
        schema = self.rs.customer
        name = schema.name
        params = self.opts.params
        stats = compute_stats(program, [], params, {}, self.opts.stats)
        evaluate = program.bind(params, stats, _NO_ROWS)
        vector = compile_vector(self.plan)
        kept = [src for _, src in layout.keep]
        unique = _has_unique(self.rs)
        with ColumnBatches(out, layout, self.opts.batch_size, self.summary) as batches:
            for part in rows.customer_parts(schema, self.fields_read(schema)):
                if part.clean and self.whole_batch(part, program, vector, stats, unique, batches, kept):
                    continue
                for i, (key, rec) in enumerate(zip(part.keys, part.every_record)):
                    place = part.place(i)
                    if rec is None:
                        rows.bad.add(name, *place)
                        continue
                    values = evaluate(rec, _NO_ROWS)
                    c = conflict(values) if unique else None
                    if c is not None:
                        rows.bad.add(name, part.raw(place), c.reason())
                        continue
                    batches.add(key, values, part.kept(place, kept) if kept else None)

    def whole_batch(self, part, program, vector, stats, unique: bool, batches, kept) -> bool:
        """Segments a batch with no bad row in one go, if it can: over its Arrow columns (the
        vector form), else, with nothing to settle between two customers (no `unique`
        dimension), by the generated code over its typed columns or its records. False: the
        batch is left to the caller, customer by customer (a value Arrow would compute
        otherwise than Python, or a `unique` conflict to word as a bad row)."""
        params, n = self.opts.params, len(part.keys)
        if vector is not None and part.typed is not None:
            try:
                values = vector.evaluate(part.arrays, n, params)
            except Inexact:
                pass
            else:
                batches.extend_columns(part.keys, values, part.all_kept(kept) if kept else None)
                return True
        if unique:
            return False
        if part.columns is not None and program.evaluate_columns is not None:
            results = program.evaluate_columns(part.columns, n, params, stats, _NO_ROWS)
        else:
            evaluate = program.bind(params, stats, _NO_ROWS)
            results = [evaluate(rec, _NO_ROWS) for rec in part.every_record]
        batches.extend(part.keys, results, part.all_kept(kept) if kept else None)
        return True

    def fields_read(self, schema) -> tuple[str, ...]:
        """The fields the rules read, and the key: all a record needs to be segmented."""
        used = self.plan.columns.get(schema.name)
        names = tuple(f.name for f in schema.fields) if used is None else tuple(used)
        return names if not schema.key or schema.key in names else (*names, schema.key)

    def two_pass(self, program, layout: Layout, out) -> None:
        rows = self.rows
        population, raws = rows.load_customers(bool(layout.keep), self.fields_read(self.rs.customer)
                                               if self.rs.customer is not None else None)
        params = self.opts.params
        stats = compute_stats(program, population, params, {}, self.opts.stats)
        name = rows.main_input()
        unique = _has_unique(self.rs)
        evaluate = program.bind(params, stats, _NO_ROWS)
        with ColumnBatches(out, layout, self.opts.batch_size, self.summary) as batches:
            for c in population:
                values = evaluate(c.record, c.rows)
                bad = conflict(values) if unique else None
                if bad is not None:
                    rows.bad.add(name, rows.locate(name, c.row), bad.reason())
                    continue
                batches.add(c.key, values, raws.get(c.key))


def _has_unique(rs) -> bool:
    """Only a `unique` dimension can conflict: without one, no customer's values are scanned for it."""
    return any(d.policy == "unique" for d in rs.dimensions)
