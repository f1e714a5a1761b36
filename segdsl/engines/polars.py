"""The polars engine: the polars backend's LazyFrame query, run in process.

Where the rows come from decides the path, never the answer:

* Parquet whose columns fit the fields (`clean_pass`, engines/polars_scan.py):
  polars scans the files (only the columns the rules read, and those a check
  the footers cannot settle needs) and checks every row; then the query that
  types and segments the rows streams its result to the writers a slice at a
  time. When every row is sure and no customer key repeats, that is the whole
  run; otherwise nothing is kept and the run starts again on the careful path.
* CSV and TSV files without quoting, and JSON Lines (`clean_pass`,
  engines/polars_text.py): polars reads the customer input line by line and
  types a value only where the shared validator reads it alike; the same
  clean path, and the same start again on the careful path for anything
  doubtful, or for a file polars refuses.
* Everything else (`careful_pass`): rows are read and validated by the same
  code as every engine (engines/rows.py), so bad rows get the same row numbers
  and reasons, and the validated rows go to polars as Arrow tables.

Output goes through the shared writers from Arrow slices (a `unique` conflict
becomes a bad row, segment sizes are counted as engines/arrow.py counts
them), so every engine writes the same bytes. polars is optional: without
it the engine is not available, and asking for it is a usage problem.
"""
from __future__ import annotations

import importlib.util
from contextlib import ExitStack
from typing import TYPE_CHECKING

from .base import Supports, run_guarded, run_tables_through_files
from .options import ApplyOptions, Summary

if TYPE_CHECKING:
    import polars as pl

    from ..passes import Plan

# result rows handed to the writers at a time: bounded memory for the Arrow copies
_SLICE = 256 * 1024


class PolarsEngine:
    name = "polars"
    supports = Supports()

    def available(self) -> bool:
        return importlib.util.find_spec("polars") is not None

    def apply(self, plan: "Plan", options: ApplyOptions) -> Summary:
        return run_guarded(plan.ruleset, options, lambda: _PolarsRun(plan, options).run())

    def run_tables(self, plan, tables, options, names=None):
        return run_tables_through_files(self, plan, tables, options, names)


ENGINE = PolarsEngine()


class _PolarsRun:
    def __init__(self, plan: "Plan", opts: ApplyOptions):
        from .rows import InputRows
        self.rs, self.plan, self.opts = plan.ruleset, plan, opts
        self.rows = InputRows(self.rs, opts)
        self.summary = self.rows.summary

    def run(self) -> Summary:
        from ..backends.polars import check_query
        from .output import Layout, finish, open_writers
        rs, opts = self.rs, self.opts
        layout = Layout(rs, opts.labels, opts.attributes, self.rows.keep_columns())
        check_query(self.plan, opts.params)          # NotSupported: SEG501 at the rule, before any data is read
        with ExitStack() as stack:
            out, quarantine = open_writers(stack, self.rows, layout)
            self.layout, self.out = layout, out
            if not (self.clean_eligible() and self.clean_pass_or_not(layout, out)):
                self.careful_pass(layout)
        return finish(self.summary, layout, opts, quarantine)

    def clean_eligible(self) -> bool:
        """Whether the inputs are Parquet polars scans (engines/polars_scan.py) or CSV polars
        reads line by line (engines/polars_text.py)."""
        from . import polars_scan, polars_text
        return polars_scan.eligible(self.rs, self.opts) or polars_text.eligible(self.rs, self.opts)

    def clean_pass_or_not(self, layout, out) -> bool:
        """The clean path; polars refusing a file (bytes that are not UTF-8, a line it cannot
        split) sends the run to the careful path, whose reader says what is wrong."""
        import polars as pl
        try:
            return self.clean_pass(layout, out)
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
            self.restart()
            return False

    def scan(self, schema, keyless: bool):
        """An input's scan: CSV read line by line, else Parquet (both ParquetScan's interface)."""
        from . import polars_text
        from .polars_scan import ParquetScan
        opts, used = self.opts, self.plan.columns.get(schema.name, ())
        if polars_text.eligible(self.rs, opts):
            return polars_text.TextScan(schema, opts.inputs[schema.name], keyless, used, opts.delimiter, opts.encoding)
        return ParquetScan(schema, opts.inputs[schema.name], keyless, used)

    def options(self, layout, sort: bool = True):
        from ..backends.polars import Options
        return Options(labels=self.opts.labels, attributes=self.opts.attributes, keep=tuple(layout.keep),
                       stats=dict(self.opts.stats or {}), sort=sort)

    def inputs(self):
        rs = self.rs
        return ([rs.customer] if rs.customer else []) + [r for r in rs.related if r.name in self.opts.inputs]

    def missing_related(self, frames: dict) -> None:
        """A related input not given is an input without rows."""
        import polars as pl
        from ..backends.polars import ORDER, input_dtypes
        for r in self.rs.related:
            if r.name not in frames:
                frames[r.name] = pl.LazyFrame(schema={**input_dtypes(r), ORDER: pl.Int64})

    # ---- the clean path ----
    def clean_pass(self, layout, out) -> bool:
        """One query over Parquet inputs, every row checked, its result written as it comes.
        False, with nothing written, when any row needs the shared reader (a suspect value,
        a repeated key): the caller starts again on the careful path.

        The checks run first, on their own: they read only the columns a check the footers
        could not settle needs (often none), and a run that must start again then writes
        nothing. The segmenting query is then streamed in slices, so the whole result is
        never held: memory stays flat however many customers the files hold. Keys that come
        out in ascending order repeat none (one comparison per row); counting distinct keys,
        a second read of the key column, runs only when they do not."""
        import polars as pl
        from ..backends.polars import build_query
        from .arrow import AscendingKeys
        rs, opts = self.rs, self.opts
        scans, frames, checks = self.clean_frames()
        suspect, orphans = self.found(checks)
        if suspect:
            return False                             # a suspect row: the careful path
        simple = not rs.related and not rs.population
        query = build_query(self.plan, opts.params, frames, self.options(layout, sort=not simple))
        keyed = rs.customer is not None and bool(rs.customer.key)
        ascending = AscendingKeys(layout.key) if keyed else None
        main = self.rows.main_input()
        raws = scans[main].lazy_raws(opts.batch_size)
        last = 0
        for batch in query.collect_batches(chunk_size=_SLICE, maintain_order=True):
            order = batch.get_column(_order())
            if batch.height and (order[0] <= last or not order.is_sorted()):
                self.restart()                       # never expected: then sort the whole result
                self.emit(query.sort(_order()).collect(), raws, main)
                break
            if batch.height:
                last = order[-1]
            if ascending is not None:
                ascending.see(batch.select(layout.key).to_arrow(compat_level=pl.CompatLevel.oldest()))
            self.emit(batch, raws, main)
        if ascending is not None and not ascending.holds:
            key = rs.customer.key
            if frames[rs.customer.name].select(pl.col(key).n_unique() < pl.len()).collect().item():
                self.restart()
                return False                         # a repeated key: the careful path
        for name, scan in scans.items():
            self.summary.read[name] = scan.num_rows
        self.summary.orphans += orphans
        return True

    def clean_frames(self):
        """Each input's scan and typed frame, and the checks on them: a flag per input with
        suspect rows, and the number of related rows whose customer is not in the customer
        input (left out, and counted as orphans)."""
        import polars as pl
        from .polars_scan import ParquetScan
        rs, rows = self.rs, self.rows
        scans: dict[str, ParquetScan] = {}
        frames: dict[str, pl.LazyFrame] = {}
        checks: list[pl.LazyFrame] = []
        for schema in self.inputs():
            rows.validator(schema)                   # whole-file problems: missing required columns
            is_customer = schema is rs.customer
            scan = scans[schema.name] = self.scan(schema, is_customer and not schema.key)
            frame = scan.frame()
            if scan.suspects:
                checks.append(frame.select(pl.col(ParquetScan.SUSPECT).any().alias(f"suspect_{schema.name}")))
            frames[schema.name] = frame.drop(ParquetScan.SUSPECT)
        customer = rs.customer
        if customer is not None:
            for r in rs.related:
                if r.name in frames:
                    keys = frames[customer.name].select(pl.col(customer.key))
                    checks.append(frames[r.name].join(keys, left_on=r.key, right_on=customer.key, how="anti")
                                  .select(pl.len().alias(f"orphans_{r.name}")))
                    frames[r.name] = frames[r.name].join(keys, left_on=r.key, right_on=customer.key, how="semi")
        self.missing_related(frames)
        return scans, frames, checks

    @staticmethod
    def found(checks) -> tuple[bool, int]:
        """Whether any input has a suspect row, and how many related rows are orphans."""
        import polars as pl
        suspect, orphans = False, 0
        for f in pl.collect_all(checks) if checks else []:
            name, value = f.columns[0], f.item()
            if name.startswith("orphans_"):
                orphans += value
            else:
                suspect |= bool(value)
        return suspect, orphans

    def restart(self) -> None:
        """Nothing written yet, as far as the output, the bad rows and the summary know."""
        self.out.restart()
        self.layout.reset_counts()
        self.rows.bad.restart()
        self.summary.written = 0

    # ---- the careful path ----
    def careful_pass(self, layout) -> None:
        import polars as pl
        from ..backends.polars import build_query
        from .arrow import rows_table           # validated rows as Arrow, as the SQL engines get them
        rs, rows = self.rs, self.rows
        raws: dict = {}
        keys: set = set()
        frames: dict[str, pl.LazyFrame] = {}
        for schema in self.inputs():
            is_customer = schema is rs.customer
            keep = layout.keep if is_customer else []
            pairs = list(rows.input_rows(schema, keys, raws))
            table = rows_table(schema, pairs, keep, is_customer and not schema.key)
            frames[schema.name] = pl.from_arrow(table).lazy()
        self.missing_related(frames)
        result = build_query(self.plan, self.opts.params, frames, self.options(layout)).collect()
        self.emit(result, raws, rows.main_input())

    def emit(self, result: "pl.DataFrame", raws, main: str) -> None:
        """The result to the writers: a customer with a `unique` conflict is a bad row of the
        main input (`raws` finds its raw row: a dict by key, or `by_order`), segment sizes are
        counted as every engine counts them, the rest is written in Arrow slices."""
        import polars as pl
        from ..backends.polars import ORDER, conflict_columns
        conflicts = conflict_columns(self.rs)
        if conflicts:
            bad = pl.any_horizontal([pl.col(c).is_not_null() for c in conflicts])
            rejected = result.filter(bad)
            for key, order, reason in zip(rejected.get_column(self.layout.key).to_list(),
                                          rejected.get_column(ORDER).to_list(),
                                          rejected.select(pl.coalesce(conflicts)).to_series().to_list()):
                raw = raws.by_order(order) if hasattr(raws, "by_order") else raws[key]
                self.rows.bad.add(main, raw, reason)
            if rejected.height:
                result = result.filter(~bad)
        result = result.drop([*conflicts, ORDER])
        self.count(result)
        for start in range(0, result.height, _SLICE):
            self.out.write(result.slice(start, _SLICE).to_arrow())
        self.summary.written += result.height

    def count(self, result: "pl.DataFrame") -> None:
        """Segment sizes per dimension, as engines/arrow.count keeps them."""
        for d in self.rs.dimensions:
            c = self.layout.counts[d.name]
            column = result.get_column(d.name)
            if d.policy == "all":
                empty = int((column.list.len() == 0).sum())
                if empty:
                    c["(none)"] += empty
                column = column.explode().drop_nulls()
            # in any order: the summary lists them as the rules declare them (output.finish)
            for value, n in column.to_frame("v").group_by("v").len().iter_rows():
                c[value if value is not None else "(none)"] += n


def _order() -> str:
    from ..backends.polars import ORDER
    return ORDER
