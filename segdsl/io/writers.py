"""Writing results so that a failed run never leaves a half-written file.

Output goes to a hidden temporary file beside the target (same directory, so
the final rename cannot cross file systems) and is renamed over the target
only when the `with` block ends cleanly. An exception, or `abort()`, deletes
the temporary file: the target is then exactly what it was before the run,
missing or the previous output. Downstream jobs that poll for the file can
never read a partial one. (io/atomic.py names and creates the temporary
files, and removes the leftovers of killed runs.)

Rows are written as they come (bounded memory for millions of customers).
The same values look the same in every format: dates ISO, booleans
true/false, null as an empty CSV cell or JSON null, lists (`all` dimensions)
as list<string> in Parquet, JSON arrays in JSONL and `a|b` in CSV.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .atomic import check_not_stopping, create_temp, unlink_quietly
from .errors import OutputError
from .readers import RawRow

KINDS = ("string", "int", "number", "bool", "date", "datetime", "list")
LIST_SEPARATOR = "|"

_SUFFIX_FORMATS = {
    ".parquet": "parquet", ".pq": "parquet", ".parq": "parquet",
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl", ".json": "jsonl",
}
# Parquet readers work best with large row groups. Every file has row groups of
# exactly this many rows (the last one shorter), however the engine batched its
# rows, so the same rows give the same bytes from every engine. (DuckDB's COPY
# cuts row groups where its vectors happen to end, which depends on the input
# file's layout: that is why even the DuckDB engine writes Parquet here.)
_PARQUET_ROW_GROUP = 128 * 1024


@dataclass(frozen=True)
class TextStyle:
    """How a text output (CSV, TSV, JSONL) is written for the program that opens it.

    `encoding`: Excel on Chinese Windows reads UTF-8 without a byte-order mark as
    mojibake, so `utf-8-sig` or `gbk` may be asked for; a value the encoding cannot
    hold stops the run naming its row and column (`OutputError`), nothing written.
    `csv_safe`: a CSV text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
    return is written with a `'` before it, so a spreadsheet shows it as text instead
    of running it as a formula (OWASP's advice on CSV injection); typed numbers,
    dates and booleans are left as they are."""
    encoding: str = "utf-8"
    csv_safe: bool = False


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class OutputColumn:
    """One output column: its name, and its kind (one of KINDS), which decides how each format
    writes the column's values."""
    name: str
    kind: str = "string"        # one of KINDS

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"output column {self.name!r}: unknown kind {self.kind!r} "
                             f"(expected one of {', '.join(KINDS)})")


def suffix_format(path: str | os.PathLike) -> str | None:
    """The format a file's suffix names ('parquet', 'csv', 'tsv', 'jsonl'), or None."""
    return _SUFFIX_FORMATS.get(Path(path).suffix.lower())


def output_format(path: str | os.PathLike, fmt: str | None = None) -> str:
    """'parquet', 'csv', 'tsv' or 'jsonl', from `fmt` or the file suffix."""
    if fmt:
        f = fmt.lower().lstrip(".")
        f = {"ndjson": "jsonl", "json": "jsonl", "jsonlines": "jsonl", "pq": "parquet"}.get(f, f)
        if f not in ("parquet", "csv", "tsv", "jsonl"):
            raise ValueError(f"unknown output format {fmt!r} (expected parquet, csv or jsonl)")
        return f
    suffix = Path(path).suffix.lower()
    found = _SUFFIX_FORMATS.get(suffix)
    if found is None:
        raise ValueError(f"cannot tell the output format from the suffix {suffix or '(none)'!r} "
                         f"of {os.fspath(path)!r}; use .parquet, .csv or .jsonl")
    return found


class OutputWriter:
    """A file being written; becomes the target only on `commit` (the clean
    end of a `with` block)."""

    def __init__(self, path: str | os.PathLike, columns: Sequence[OutputColumn], fmt: str | None = None,
                 style: TextStyle = TextStyle()) -> None:
        self.path = os.fspath(path)
        self.style = style
        self.columns = list(columns)
        names = [c.name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"output columns named twice: {', '.join(dupes)}")
        self.format = output_format(path, fmt)
        if os.path.isdir(self.path):
            raise IsADirectoryError(f"{self.path} is a directory")
        self.rows_written = 0
        self._state = "open"
        self.temp_path = create_temp(self.path)
        try:
            self._sink = _SINKS[self.format](self.temp_path, self.columns, self.style)
        except BaseException:
            _unlink(self.temp_path)
            self._state = "aborted"
            raise

    def write(self, rows: Iterable[dict] | Any) -> None:
        """Append rows: dicts by column name (missing keys are null, others
        ignored), or a pyarrow Table / RecordBatch with the columns by name."""
        if self._state != "open":
            raise ValueError(f"the output {self.path} is already {self._state}")
        try:
            if hasattr(rows, "schema") and hasattr(rows, "num_rows"):
                self.rows_written += self._sink.write_arrow(rows)
            else:
                rows = rows if isinstance(rows, list) else list(rows)
                self._sink.write(rows)
                self.rows_written += len(rows)
        except OutputError as e:           # named by the target, not the temporary file
            raise OutputError(e.message, self.path) from None

    def write_columns(self, columns: dict[str, list], n: int) -> None:
        """Append `n` rows given as columns: lists by column name (a missing column is null,
        others ignored). A Parquet file takes them as Arrow arrays without building a dict per
        row; the same rows give the same bytes as `write`."""
        if self._state != "open":
            raise ValueError(f"the output {self.path} is already {self._state}")
        try:
            self._sink.write_columns(columns, n)
            self.rows_written += n
        except OutputError as e:           # named by the target, not the temporary file
            raise OutputError(e.message, self.path) from None

    def restart(self) -> None:
        """Forget every row written so far (the target is still untouched)."""
        if self._state != "open":
            raise ValueError(f"the output {self.path} is already {self._state}")
        self._sink.discard()
        with open(self.temp_path, "wb"):
            pass
        self._sink = _SINKS[self.format](self.temp_path, self.columns, self.style)
        self.rows_written = 0

    def commit(self) -> None:
        """Finish the file and put it in place of the target."""
        if self._state != "open":
            raise ValueError(f"the output {self.path} is already {self._state}")
        try:
            self._sink.close()
            _fsync(self.temp_path)
            check_not_stopping()
            os.replace(self.temp_path, self.path)
        except BaseException:
            self._state = "aborted"
            _unlink(self.temp_path)
            raise
        self._state = "committed"

    def abort(self) -> None:
        """Forget everything written; the target is left as it was."""
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            self._sink.discard()
        finally:
            _unlink(self.temp_path)

    close = commit

    @property
    def state(self) -> str:
        return self._state

    def __enter__(self) -> "OutputWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
        elif self._state == "open":
            self.commit()

    def __del__(self) -> None:
        # A writer dropped without commit must not leave its temporary file.
        try:
            if getattr(self, "_state", None) == "open":
                self.abort()
        except Exception:
            pass


def open_output(path: str | os.PathLike, columns: Sequence[OutputColumn], fmt: str | None = None,
                style: TextStyle = TextStyle()) -> OutputWriter:
    """An atomic writer for the result file; use it in a `with` block."""
    return OutputWriter(path, columns, fmt, style)


class QuarantineWriter:
    """Rejected rows with `_row`, `_reason` and the row's original columns as
    text, so the analyst can fix the rows and feed the file back in. When an
    input names several files, `_file` comes first: `_row` counts in its file.
    For CSV inputs `_raw` comes last: the row's text as in the file when it could
    not be read as a row (a misplaced quote, the wrong number of cells), else empty.
    An input column that is itself called `_row` or `_reason` (or `_file`, when
    there is one) is written as `_row_input` / `_reason_input` (`_file_input`)."""

    def __init__(self, path: str | os.PathLike, columns: Sequence[str], fmt: str | None = None,
                 with_file: bool = False, style: TextStyle = TextStyle(), with_raw: bool = False) -> None:
        self.source_columns = list(columns)
        self.with_file = with_file
        self.with_raw = with_raw
        taken = ("_file", "_row", "_reason") if with_file else ("_row", "_reason")
        taken += ("_raw",) if with_raw else ()
        self._out_names = [c + "_input" if c in taken else c for c in self.source_columns]
        cols = [OutputColumn("_file", "string")] if with_file else []
        cols += [OutputColumn("_row", "int"), OutputColumn("_reason", "string")]
        cols += [OutputColumn(n, "string") for n in self._out_names]
        cols += [OutputColumn("_raw", "string")] if with_raw else []
        if fmt is None and Path(path).suffix.lower() not in _SUFFIX_FORMATS:
            fmt = "csv"
        self._out = OutputWriter(path, cols, fmt, style)
        self.path = self._out.path
        self.temp_path = self._out.temp_path

    @property
    def rows_written(self) -> int:
        return self._out.rows_written

    def add(self, raw: RawRow, reason: str) -> None:
        self.write([(raw, reason)])

    def write(self, rejected: Iterable[tuple[RawRow, str]]) -> None:
        """Rows as (raw row, reason) pairs, as `RowValidator.split` gives them."""
        pairs = list(zip(self.source_columns, self._out_names))
        rows = []
        for raw, reason in rejected:
            values = raw.values
            rec = {"_row": raw.row, "_reason": reason}
            if self.with_file:
                rec["_file"] = raw.path
            if self.with_raw:
                rec["_raw"] = raw.text
            for src, out in pairs:
                rec[out] = _as_text(values.get(src))
            rows.append(rec)
        self._out.write(rows)

    def commit(self) -> None:
        self._out.commit()

    def abort(self) -> None:
        self._out.abort()

    close = commit

    @property
    def state(self) -> str:
        return self._out.state

    def __enter__(self) -> "QuarantineWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._out.__exit__(exc_type, exc, tb)


def open_quarantine(path: str | os.PathLike, columns: Sequence[str], fmt: str | None = None,
                    with_file: bool = False, style: TextStyle = TextStyle(),
                    with_raw: bool = False) -> QuarantineWriter:
    """An atomic writer for rejected rows (CSV unless the suffix says otherwise); `with_raw`
    adds `_raw`, the text of a CSV row that could not be read as one."""
    return QuarantineWriter(path, columns, fmt, with_file, style, with_raw)


# ---- temporary files ------------------------------------------------------------

def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    unlink_quietly(path)


# ---- formats -------------------------------------------------------------------

class _TextSink:
    """CSV and JSONL: a text file written row by row, in the style's encoding."""

    def __init__(self, temp: str, columns: list[OutputColumn], style: TextStyle = TextStyle()) -> None:
        self.columns = columns
        self.style = style
        self.file = open(temp, "w", encoding=style.encoding, newline="")
        self.rows = 0                      # rows written so far: where an unwritable value is
        self.unicode = style.encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")

    def checked(self, write: Callable[[], None], rows: list, cells: Callable[[Any], Iterable[tuple[str, Any]]]):
        """`write()`, and when the encoding cannot hold a value, OutputError naming the first
        row and column that holds one (the run stops; the target is never written)."""
        if self.unicode:
            write()
        else:
            try:
                write()
            except UnicodeEncodeError:
                for i, r in enumerate(rows, self.rows + 1):
                    for name, text in cells(r):
                        try:
                            text.encode(self.style.encoding)
                        except UnicodeEncodeError:
                            raise OutputError(f"row {i}, column {name}: {text!r} cannot be written in "
                                              f"{self.style.encoding}; write it in utf-8 or utf-8-sig",
                                              None) from None
                raise
        self.rows += len(rows)

    def write_columns(self, columns: dict[str, list], n: int) -> None:
        """Rows given as columns, written as the rows they are."""
        names = list(columns)
        self.write([dict(zip(names, values)) for values in zip(*columns.values())] if names else [{}] * n)

    def write_arrow(self, data) -> int:
        n = 0
        for batch in (data.to_batches() if hasattr(data, "to_batches") else [data]):
            self.write(batch.to_pylist())
            n += batch.num_rows
        return n

    def close(self) -> None:
        self.file.close()

    def discard(self) -> None:
        self.file.close()


class _CsvSink(_TextSink):
    delimiter = ","

    def __init__(self, temp: str, columns: list[OutputColumn], style: TextStyle = TextStyle()) -> None:
        super().__init__(temp, columns, style)
        self.writer = csv.writer(self.file, delimiter=self.delimiter, lineterminator="\n")
        self.checked(lambda: self.writer.writerow([c.name for c in columns]), [None],
                     lambda r: [("(header)", c.name) for c in columns])
        self.rows = 0
        self.cells = [(c.name, _safe(_CSV_CELL[c.kind]) if style.csv_safe and c.kind in ("string", "list")
                       else _CSV_CELL[c.kind]) for c in columns]

    def write(self, rows: list[dict]) -> None:
        cells = self.cells
        lines = [[cell(r.get(name)) for name, cell in cells] for r in rows]
        names = [name for name, _ in cells]
        self.checked(lambda: self.writer.writerows(lines), lines, lambda line: zip(names, line))


class _TsvSink(_CsvSink):
    delimiter = "\t"


class _JsonlSink(_TextSink):
    def __init__(self, temp: str, columns: list[OutputColumn], style: TextStyle = TextStyle()) -> None:
        super().__init__(temp, columns, style)
        self.values = [(c.name, _JSON_VALUE.get(c.kind)) for c in columns]
        self.dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode

    def write(self, rows: list[dict]) -> None:
        dumps = self.dumps
        values = self.values
        lines = []
        for r in rows:
            obj = {}
            for name, conv in values:
                v = r.get(name)
                obj[name] = v if conv is None or v is None else conv(v)
            lines.append(dumps(obj))
        if lines:
            texts = [[(name, _as_text(r.get(name)) or "") for name, _ in values] for r in rows]
            self.checked(lambda: self.file.write("\n".join(lines) + "\n"), texts, lambda cells: cells)


class _ParquetSink:
    def __init__(self, temp: str, columns: list[OutputColumn], style: TextStyle = TextStyle()) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        self.pa = pa
        self.schema = pa.schema([pa.field(c.name, _arrow_type(pa, c.kind)) for c in columns])
        self.writer = pq.ParquetWriter(temp, self.schema)
        self.pending: list = []
        self.pending_rows = 0

    def write(self, rows: list[dict]) -> None:
        self.write_columns({f.name: [r.get(f.name) for r in rows] for f in self.schema}, len(rows))

    def write_columns(self, columns: dict[str, list], n: int) -> None:
        if not n:
            return
        pa = self.pa
        arrays = []
        for f in self.schema:
            name = f.name
            values = columns[name] if name in columns else [None] * n
            try:
                arrays.append(pa.array(values, type=f.type))
            except (pa.ArrowException, TypeError, ValueError) as e:
                raise ValueError(f"output column {name!r} ({f.type}): {e}") from None
        self._add(pa.Table.from_arrays(arrays, schema=self.schema))

    def write_arrow(self, data) -> int:
        pa = self.pa
        arrays = []
        for f in self.schema:
            if f.name in data.schema.names:
                col = data.column(f.name)
                arrays.append(col if col.type == f.type else col.cast(f.type))
            else:
                arrays.append(pa.nulls(data.num_rows, f.type))
        self._add(pa.Table.from_arrays(arrays, schema=self.schema))
        return data.num_rows

    def _add(self, table) -> None:
        self.pending.append(table)
        self.pending_rows += table.num_rows
        while self.pending_rows >= _PARQUET_ROW_GROUP:
            whole = self.pa.concat_tables(self.pending)
            # one chunk per column: pyarrow cuts data pages where chunks end
            self.writer.write_table(whole.slice(0, _PARQUET_ROW_GROUP).combine_chunks(),
                                    row_group_size=_PARQUET_ROW_GROUP)
            rest = whole.slice(_PARQUET_ROW_GROUP)
            self.pending, self.pending_rows = [rest], rest.num_rows

    def _flush(self) -> None:
        if self.pending_rows:
            self.writer.write_table(self.pa.concat_tables(self.pending).combine_chunks(), row_group_size=self.pending_rows)
        self.pending, self.pending_rows = [], 0

    def close(self) -> None:
        try:
            self._flush()
        finally:
            self.writer.close()

    def discard(self) -> None:
        self.pending = []
        try:
            self.writer.close()
        except Exception:
            pass


def _arrow_type(pa, kind: str):
    return {
        "string": pa.string(), "int": pa.int64(), "number": pa.float64(), "bool": pa.bool_(),
        "date": pa.date32(), "datetime": pa.timestamp("us"), "list": pa.list_(pa.string()),
    }[kind]


_SINKS: dict[str, Callable[[str, list[OutputColumn], TextStyle], Any]] = {
    "csv": _CsvSink, "tsv": _TsvSink, "jsonl": _JsonlSink, "parquet": _ParquetSink,
}


# ---- how values look in text formats --------------------------------------------

def _cell_string(v) -> str:
    return "" if v is None else v if v.__class__ is str else _as_text(v)


def _safe(cell: Callable[[Any], str]) -> Callable[[Any], str]:
    """A text cell that a spreadsheet would take for a formula, with a `'` before it (TextStyle)."""
    def safe(v) -> str:
        text = cell(v)
        return "'" + text if text.startswith(_FORMULA_START) else text
    return safe


def _cell_int(v) -> str:
    return "" if v is None else str(v)


def _cell_number(v) -> str:
    if v is None:
        return ""
    x = float(v)
    return repr(x) if x - x == 0.0 else ""


def _cell_bool(v) -> str:
    return "" if v is None else "true" if v else "false"


def _cell_date(v) -> str:
    return "" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v)


def _cell_datetime(v) -> str:
    # A space, not `T`: spreadsheets read it as a date and time.
    return "" if v is None else v.isoformat(sep=" ") if isinstance(v, dt.datetime) else _cell_date(v)


def _cell_list(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return LIST_SEPARATOR.join("" if x is None else str(x) for x in v)


_CSV_CELL = {
    "string": _cell_string, "int": _cell_int, "number": _cell_number, "bool": _cell_bool,
    "date": _cell_date, "datetime": _cell_datetime, "list": _cell_list,
}


def _json_number(v):
    x = float(v)
    return x if x - x == 0.0 else None


def _json_string(v):
    return v if v.__class__ is str else _as_text(v)


_JSON_VALUE: dict[str, Callable[[Any], Any] | None] = {
    "string": _json_string, "int": int, "number": _json_number, "bool": bool,
    "date": lambda v: v.isoformat() if isinstance(v, dt.date) else str(v),
    "datetime": lambda v: v.isoformat() if isinstance(v, dt.date) else str(v),
    "list": lambda v: [v] if isinstance(v, str) else list(v),
}


def as_text(v) -> str | None:
    """The text a value has in a text column (also used to shape attribute values alike in every engine)."""
    return _as_text(v)


def _as_text(v) -> str | None:
    """A value from any input format as the text a CSV cell would hold."""
    if v is None or v.__class__ is str:
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    return str(v)
