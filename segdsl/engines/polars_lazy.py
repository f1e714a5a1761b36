"""A polars LazyFrame segmented lazily: `Segmentation.apply(lazy_frame)` returns a LazyFrame
the caller keeps composing (filters, joins, `sink_parquet`), and nothing runs until the
caller collects it.

The checks are the polars engine's own, as expressions in the same plan:

* a row whose columns polars types exactly as the shared validator would (engines/
  polars_scan.py `Checks`, the Parquet scan's checks with nothing proved in advance) is
  typed in polars;
* any other row is "suspect" and judged by the shared validator (io/validate.py) in a
  `map_batches` step: the same typed record, or the same reason as every engine gives. A
  column of another type than its field's (text for a number, whole numbers for a bool)
  makes every row suspect, as a file's column is read by the validator;
* a repeated key is found with a window (a key's first good row is its customer);
* a `unique` conflict by the query's own conflict columns.

What happens to a bad row is the policy's:

* `fail`: collecting the result raises DataError with the row and its reason (which bad row
  first is polars' order, not the input's);
* `skip`: the result leaves bad rows out;
* `quarantine`: the result leaves them out, and a second LazyFrame holds them: `_row`,
  `_reason` (after the input's name where there are several inputs) and the input's columns
  as they were.

A LazyFrame has no file to number its rows by: row N is the frame's N-th row.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from .. import ir
from ..backends.polars import ORDER, ROW, Options, build_query, check_query, conflict_columns, input_dtypes
from ..io.readers import RawRow, plain_batch
from ..io.validate import RowValidator, check_columns
from .arrow import arrow_schema
from .bad_rows import input_names
from .column_types import fits
from .errors import fail
from .options import ApplyOptions, DataError, LazyResult
from .polars_scan import Checks
from .rows import repeated_key

if TYPE_CHECKING:
    from ..passes import Plan

REASON = "__segdsl_reason"
_OLDEST = pl.CompatLevel.oldest()
# a step polars must hand every column to, whole: its function reads the row as given
_OPAQUE = dict(predicate_pushdown=False, projection_pushdown=False, slice_pushdown=False)


def apply_frames(plan: "Plan", frames: dict, opts: ApplyOptions, shown: dict[str, str]) -> LazyResult:
    """Segments `frames` (input name → LazyFrame) without running them."""
    rs = plan.ruleset
    if opts.keep:
        raise fail("not-for-engine", "keep", ",".join(opts.keep),
                   "a LazyFrame's result carries no input columns; join it back by the key", usage=True)
    check_query(plan, opts.params)          # NotSupported: SEG501 at the rule, before anything is built
    several = len(frames) > 1
    inputs = ([rs.customer] if rs.customer else []) + [r for r in rs.related if r.name in frames]
    checked = {s.name: _Input(s, frames[s.name], s is rs.customer and not s.key, shown[s.name],
                              s.key if s is rs.customer else None) for s in inputs}
    typed: dict[str, pl.LazyFrame] = {}
    for name, inp in checked.items():
        typed[name] = inp.good if opts.on_error != "fail" else pl.concat([inp.good, inp.raising(inp.bad, inp.good)])
    customer = rs.customer
    if customer is not None and customer.key:
        keys = typed[customer.name].select(pl.col(customer.key))
        for r in rs.related:
            if r.name in typed:             # a related row of no customer is an orphan: left out
                typed[r.name] = typed[r.name].join(keys, left_on=r.key, right_on=customer.key, how="semi")
    for r in rs.related:
        if r.name not in typed:
            typed[r.name] = pl.LazyFrame(schema={**input_dtypes(r), ORDER: pl.Int64})
    query = build_query(plan, opts.params, typed, Options(labels=opts.labels, attributes=opts.attributes, keep=(),
                                                          stats=dict(opts.stats or {}), sort=True))
    bad = {name: [inp.bad] for name, inp in checked.items()}
    conflicts = conflict_columns(rs)
    main = input_names(rs)[0]                       # whose rows the customers are (a conflict is one of them)
    if conflicts and main in checked:
        query = _without_conflicts(query, conflicts, checked[main], opts.on_error, bad[main])
    result = query.drop([*conflicts, ORDER], strict=False)
    quarantine = None
    if opts.on_error == "quarantine":               # in input order, then row order, as a file has them
        quarantine = _one_frame([checked[name].quarantined(pl.concat(found), several) for name, found in bad.items()])
    return LazyResult(result, quarantine)


def _one_frame(parts: list[pl.LazyFrame]) -> pl.LazyFrame:
    """Several inputs' bad rows one after the other, each with its own columns (null where
    another input's row has none); a column two inputs hold with different types comes as text."""
    if len(parts) == 1:
        return parts[0]
    schemas = [p.collect_schema() for p in parts]
    types: dict[str, set] = {}
    for schema in schemas:
        for name, t in schema.items():
            types.setdefault(name, set()).add(t)
    mixed = {name for name, ts in types.items() if len(ts) > 1}
    parts = [p.with_columns([pl.col(n).cast(pl.String) for n in schema.names() if n in mixed])
             for p, schema in zip(parts, schemas)]
    return pl.concat(parts, how="diagonal")


class _Input:
    """One input's rows: `good` (typed, as the query reads them) and `bad` (ORDER, REASON)."""

    def __init__(self, schema: ir.InputSchema, frame: pl.LazyFrame, keyless: bool, shown: str, key: str | None):
        self.schema, self.keyless, self.shown = schema, keyless, shown
        given = frame.collect_schema()
        self.columns = list(given.names())
        problems = check_columns(schema, self.columns)
        if problems:
            raise DataError(f"{shown}: " + "; ".join(problems))
        self.numbered = frame.with_row_index(ORDER, offset=1).with_columns(pl.col(ORDER).cast(pl.Int64))
        # every field: polars' own projection pushdown leaves out what the query does not read
        used = {f.name for f in schema.fields}
        self.names = [f.name for f in schema.fields] + [ORDER] + ([ROW] if keyless else [])
        self.dtypes = {**input_dtypes(schema), ORDER: pl.Int64, ROW: pl.Int64}
        judged = self.judged(given, used)
        if key is not None:
            judged = self.repeats_marked(judged, key)
        self.good = judged.filter(pl.col(REASON).is_null()).select(self.names)
        self.bad = judged.filter(pl.col(REASON).is_not_null()).select(ORDER, REASON)

    def judged(self, given, used) -> pl.LazyFrame:
        """Every row, typed, with REASON null for a good row: sure rows typed in polars, the
        others by the shared validator."""
        arrow = pl.DataFrame(schema=given).to_arrow(compat_level=_OLDEST).schema
        columns = set(self.columns)
        sure_types = all(fits(f.type.kind, arrow.field(f.column).type, nanoseconds=False)
                         for f in self.schema.fields if f.column in columns)
        judge = _judge(self.schema, self.keyless, self.names, self.dtypes)
        if not sure_types:                  # every row to the validator, as a file's column of text
            sure = pl.LazyFrame(schema=judge.schema)
            suspects = self.numbered.select([*self.columns, ORDER])
        else:
            checks = Checks(self.schema, self.keyless, columns, {}, used)
            suspect = pl.any_horizontal(checks.suspects) if checks.suspects else pl.lit(False)
            flagged = self.numbered.with_columns(suspect.alias(Checks.SUSPECT))
            sure = (flagged.filter(~pl.col(Checks.SUSPECT)).select(checks.typed_columns())
                    .select(self.names).with_columns(pl.lit(None, pl.String).alias(REASON)))
            suspects = flagged.filter(pl.col(Checks.SUSPECT)).select([*self.columns, ORDER])
        return pl.concat([sure, suspects.map_batches(judge, schema=judge.schema, **_OPAQUE)])

    def repeats_marked(self, judged: pl.LazyFrame, key: str) -> pl.LazyFrame:
        """A key's first good row is its customer; a later good row with the key is bad, worded
        as the shared reader words it (rows.repeated_key)."""
        good = pl.col(REASON).is_null()
        first = pl.when(good).then(pl.col(ORDER)).min().over(key).alias("__segdsl_first")
        judged = judged.with_columns(first)
        repeated = good & (pl.col(ORDER) > pl.col("__segdsl_first"))
        schema, names = self.schema, judged.collect_schema()

        def words(df: pl.DataFrame) -> pl.DataFrame:
            reasons = [repeated_key(schema, k, first) for k, first in
                       zip(df.get_column(key).to_list(), df.get_column("__segdsl_first").to_list())]
            return df.with_columns(pl.Series(REASON, reasons, dtype=pl.String))

        marked = judged.filter(repeated).map_batches(words, schema=names, **_OPAQUE)
        return pl.concat([judged.filter(~repeated), marked]).drop("__segdsl_first")

    def raising(self, bad: pl.LazyFrame, like: pl.LazyFrame) -> pl.LazyFrame:
        """No rows (with the columns of `like`), or DataError for the first of this input's
        `bad` rows (ORDER, REASON) polars hands over."""
        shown, names = self.shown, like.collect_schema()

        def first_bad(df: pl.DataFrame) -> pl.DataFrame:
            if df.height:
                order, reason = df.sort(ORDER).row(0)
                raise DataError(f"{shown} row {order}: {reason}")
            return pl.DataFrame(schema=names)

        return bad.map_batches(first_bad, schema=names, **_OPAQUE)

    def quarantined(self, bad: pl.LazyFrame, several: bool) -> pl.LazyFrame:
        """Bad rows (ORDER, REASON) as a quarantine file has them: `_row`, `_reason` (after the
        input's name where there are several inputs), the columns as given."""
        reason = pl.lit(f"{self.schema.name}: ") + pl.col(REASON) if several else pl.col(REASON)
        taken = {"_row", "_reason"}
        cols = [pl.col(ORDER).alias("_row"), reason.alias("_reason")]
        cols += [pl.col(n).alias(n + "_input" if n in taken else n) for n in self.columns]
        return bad.join(self.numbered, on=ORDER, how="left").sort(ORDER).select(cols)


def _judge(schema: ir.InputSchema, keyless: bool, names: list[str], dtypes: dict):
    """The function polars runs on suspect rows: the shared validator's verdict, a typed row
    or a reason, each row keeping its place (ORDER). Its `schema` is what it returns."""
    out = pa.schema([*arrow_schema(schema, keyless, [], ordered=True), pa.field(REASON, pa.string())])
    result = {n: dtypes[n] for n in names} | {REASON: pl.String}

    def run(df: pl.DataFrame) -> pl.DataFrame:
        validator = RowValidator(schema)
        cols: dict[str, list] = {n: [] for n in out.names}
        for batch in df.to_arrow(compat_level=_OLDEST).to_batches():
            for r in plain_batch(batch).to_pylist():
                order = r.pop(ORDER)
                rec, reason = validator.convert(RawRow(order, None, r))
                for f in schema.fields:
                    cols[f.name].append(None if rec is None else rec[f.name])
                cols[ORDER].append(order)
                if keyless:
                    cols[ROW].append(order)
                cols[REASON].append(reason)
        table = pl.from_arrow(pa.Table.from_pydict(cols, schema=out))
        return table.select([pl.col(n).cast(t) for n, t in result.items()])

    run.schema = pl.Schema(result)
    return run


def _without_conflicts(query: pl.LazyFrame, conflicts: list[str], customer: _Input, on_error: str,
                       bad: list) -> pl.LazyFrame:
    """The result less its customers that matched two segments of a `unique` dimension: raising
    under `fail`, left out otherwise (and added to the customer input's `bad` rows)."""
    reason = pl.coalesce(conflicts)
    good = query.filter(reason.is_null())
    found = query.filter(reason.is_not_null()).select(pl.col(ORDER), reason.alias(REASON))
    if on_error == "fail":
        return pl.concat([good, customer.raising(found, good)])
    bad.append(found)
    return good
