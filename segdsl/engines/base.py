"""The engine contract: what an engine is, what it can do, and how it is run.

An engine runs a checked ruleset on data. It is one module with one object
that satisfies `Engine` and one line in engines/registry.py. It does not
subclass another engine: the parts every engine needs are public and are
held and called, not inherited:

* engines/rows.py      InputRows: files, validated records, customers, related rows
* engines/bad_rows.py  BadRows: fail, skip or quarantine, bad rows settled in input order
* engines/output.py    Layout, (Column)Batches and the atomic writers (open_writers)
* engines/arrow.py     Arrow tables of validated rows in, Arrow results out
                       (`unique` conflicts, segment counts): the SQL engines' share

`run_guarded` is the one way a run starts: it checks the inputs asked for,
creates the output folders, and turns every failure into a DataError or a
UsageProblem (engines/errors.py) that the caller renders in its own words.
An engine receives the Plan of the compiler passes (segdsl/passes): the code
generators compile from it, the population stages are `plan.stages`, and the
inputs, dimensions and output layout are its ruleset's.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Protocol, runtime_checkable

from .. import ir
from ..io.errors import InputError
from .bad_rows import check_inputs
from .errors import DataError
from .options import ApplyOptions, Summary

if TYPE_CHECKING:
    import pyarrow as pa

    from ..passes import Plan


@dataclass(frozen=True)
class Supports:
    """What an engine can run, and which of the engine-specific options it takes."""
    related_inputs: bool = True          # rulesets with related inputs (`input orders ... related`)
    population: bool = True              # population functions (percent_rank, ntile, mean, ...)
    frozen_stats: bool = True            # frozen population values (`segdsl stats`)
    memory_limit: bool = False           # a cap on the engine's memory
    master: bool = False                 # a cluster's master URL
    cluster_io: bool = False             # inputs and outputs only it reads or writes: directories, tables, remote paths


@runtime_checkable
class Engine(Protocol):
    name: str
    supports: Supports

    def available(self) -> bool:
        """Whether it can run here (its libraries installed), without importing them."""

    def apply(self, plan: "Plan", options: ApplyOptions) -> Summary:
        """Runs on the files of `options.inputs`; writes `options.output` (if given)."""

    def run_tables(self, plan: "Plan", tables: Mapping[str, "pa.Table"],
                   options: ApplyOptions, names: Mapping[str, str] | None = None
                   ) -> "tuple[pa.Table | None, Summary]":
        """Runs on Arrow tables by input name (besides any files in `options.inputs`):
        the result as an Arrow table, or None when written to `options.output`."""


def run_guarded(rs: ir.Ruleset, opts: ApplyOptions, run: Callable[[], Summary]) -> Summary:
    """Checks the inputs asked for, then runs; every failure becomes a DataError (or a
    UsageProblem for inputs the ruleset has not, or needs and was not given)."""
    check_inputs(rs, list(opts.inputs))
    for target in (opts.output, opts.quarantine_path()):
        if target is not None:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataError(f"cannot create the folder of {target}: {exc.strerror}") from None
    try:
        summary = run()
    except InputError as exc:
        raise DataError(str(exc)) from None
    except OSError as exc:
        raise DataError(f"{exc.filename or 'output'}: {exc.strerror}") from None
    summary.customers = summary.written       # customers segmented; a `unique` conflict is a bad row
    return summary


def run_tables_through_files(engine: Engine, plan: "Plan", tables: Mapping[str, "pa.Table"],
                             options: ApplyOptions, names: Mapping[str, str] | None = None
                             ) -> "tuple[pa.Table | None, Summary]":
    """`run_tables` for an engine that reads files: each table is written to a scratch
    Parquet file and read like any Parquet input, so a table gets exactly the
    validation, bad-row handling and results a file gets. Messages name a table by
    `names[input]` (default: the input name), never by its scratch file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    shown: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="segdsl-") as tmp:
        inputs = dict(options.inputs)
        for name, table in tables.items():
            path = Path(tmp) / f"{name}.parquet"
            shown[str(path)] = what = (names or {}).get(name, name)
            try:
                pq.write_table(table, path)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
                raise DataError(f"{what}: a column cannot be stored as Parquet: {exc}") from None
            inputs[name] = path
        target = options.output if options.output is not None else Path(tmp) / "result.parquet"
        try:
            summary = engine.apply(plan, replace(options, inputs=inputs, output=target))
        except DataError as exc:
            if exc.problem is not None:
                raise DataError(replace(exc.problem, detail=_unmasked(exc.problem.detail, shown))) from None
            raise DataError(_unmasked(str(exc), shown)) from None
        if options.output is not None:
            return None, summary
        result = pq.read_table(target)
    summary.output_file = None
    return result, summary


def _unmasked(message: str, shown: dict[str, str]) -> str:
    for path, name in shown.items():
        message = message.replace(path, name)
    return message
