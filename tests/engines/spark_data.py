"""Parquet files whose column types are the fields' own (what Spark and DuckDB read as they
are), written from CSV fixtures for the Spark engine's tests: ints as int64, numbers as
float64, bools as booleans, dates and datetimes as such, strings and enum data values as
text. A cell the field cannot hold stays out of the typed column (null), unless `bad` keeps
the text column as it is."""
from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from segdsl import ir
from segdsl.io.readers import RawRow
from segdsl.io.validate import RowValidator
from segdsl.types import Kind

ARROW = {Kind.INT: pa.int64(), Kind.NUMBER: pa.float64(), Kind.BOOL: pa.bool_(), Kind.STRING: pa.string(),
         Kind.ENUM: pa.string(), Kind.DATE: pa.date32(), Kind.DATETIME: pa.timestamp("us")}


def typed_table(schema: ir.InputSchema, csv_path: Path, delimiter: str = ",") -> pa.Table:
    with open(csv_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=delimiter))
    cols: dict[str, list] = {}
    for f in schema.fields:
        if f.column in cols:
            continue
        if f.type.kind in (Kind.STRING, Kind.ENUM):
            cols[f.column] = [r.get(f.column) or None if f.type.kind is Kind.ENUM else r.get(f.column)
                              for r in rows]
            continue
        one = RowValidator(_only(schema, f))
        values = []
        for i, r in enumerate(rows, 1):
            rec, reason = one.convert(RawRow(i, None, {f.column: r.get(f.column)}))
            values.append(None if reason else rec[f.name] if not f.has_default or r.get(f.column, "").strip()
                          else None)
        cols[f.column] = values
    return pa.table({c: pa.array(v, type=ARROW[next(f.type.kind for f in schema.fields if f.column == c)])
                     for c, v in cols.items()})


def _only(schema: ir.InputSchema, f: ir.FieldSchema) -> ir.InputSchema:
    import dataclasses
    loose = dataclasses.replace(f, type=dataclasses.replace(f.type, nullable=True), has_default=False,
                                default=None, low=None, high=None)
    return dataclasses.replace(schema, fields=(loose,))


def write_typed(schema: ir.InputSchema, csv_path: Path, out: Path, delimiter: str = ",", parts: int = 1) -> list[Path]:
    table = typed_table(schema, csv_path, delimiter)
    if parts == 1:
        pq.write_table(table, out)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    step = -(-table.num_rows // parts)
    files = []
    for i in range(parts):
        p = out / f"part-{i:05d}.parquet"
        pq.write_table(table.slice(i * step, step), p)
        files.append(p)
    return files


def frozen_slice(folder: Path):
    """The bank ruleset with population values frozen from its whole sample (`segdsl stats`), the
    same ruleset computing them, and a Parquet slice of 300 customers: on the slice the two give
    other segments, so a lazy path that uses the frozen values is told apart from one that does not."""
    from typer.testing import CliRunner

    from segdsl import api
    from segdsl.cli import app
    root = Path(__file__).resolve().parents[2]
    rules_path, sample = root / "rulesets" / "bank_marketing.seg", root / "segdsl" / "samples" / "bank_marketing.csv"
    made = CliRunner().invoke(app, ["stats", str(rules_path), "-i", f"customer={sample}", "--delimiter", ";",
                                    "-o", str(folder / "s.json")])
    assert made.exit_code == 0, made.output
    frozen = api.load(rules_path, stats=folder / "s.json")
    table = typed_table(frozen.ruleset.customer, sample, ";")
    pq.write_table(table.slice(0, 300), folder / "slice.parquet")
    return frozen, api.load(rules_path), folder / "slice.parquet"

