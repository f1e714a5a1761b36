"""Reading customer data files as a stream of raw rows.

Inputs are exports of millions of customer records, so nothing here holds a
whole file: every format is read in batches of at most `batch_size` rows.

The reader does not convert values. A CSV cell stays the text that is in the
file, because only the validator knows the field's type, and a bad cell must
become a per-row reason (row number, line, why) rather than a crash. Each row
carries its 1-based data row number (header excluded: what `_row` and bad-row
messages count) and the physical line it starts on (what an analyst looks for
in a text editor; quoted CSV cells may span lines, so the two drift apart).

Only problems that make the rest of the file untrustworthy raise `InputError`:
a missing file, bytes that are not in the given encoding, a line of a JSON
Lines file that is not a JSON object, a CSV quote that is never closed. A CSV
row with a misplaced quote or the wrong number of cells is yielded with a
`problem`, so `--on-error skip` can drop just that row.

Blank lines are not rows (spreadsheet exports often end with some); a line of
empty cells (`,,`) is a row.
"""
from __future__ import annotations

import codecs
import csv
import glob
import json
import os
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .errors import InputError

DEFAULT_BATCH_SIZE = 10_000

_SUFFIX_FORMATS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet", ".parq": "parquet",
}
FORMATS = ("csv", "tsv", "jsonl", "parquet")

# How many JSON Lines objects `columns` looks at: keys may be absent from
# single objects, but a column that is absent from the first thousand records
# is not one a required field can rely on.
_JSONL_HEADER_SAMPLE = 1000

# The longest CSV cell any engine reads, in characters. The csv module stops at
# 128 KiB by default, DuckDB at lines of 2 MiB; rows DuckDB cannot read go to
# this reader, so its limit is the one limit of every engine (docs/engines.md).
# Raising the module's process-wide limit only widens what csv accepts.
CELL_LIMIT = 16 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), CELL_LIMIT))
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row as read, before its cells are converted to a record: its values, where it is (file,
    row, line) for bad-row messages, and why it cannot be read, if it cannot."""
    row: int                     # 1-based data row number in its file, header excluded
    line: int | None             # 1-based line the row starts on; None for Parquet
    values: dict[str, object]    # column → value as read (CSV: text; None = JSON/Parquet null)
    path: str = ""               # the file the row came from (several files per input)
    problem: str | None = None   # the row cannot be read as a record (ragged CSV row, bad quoting)
    offset: int = 0              # rows of the input's files before this one (several files per input)
    text: str | None = None      # the row's text as in the file, for a CSV row that cannot be read (`problem`)

    @property
    def order(self) -> int:
        """The row's place in its whole input: the files one after the other."""
        return self.offset + self.row


def detect_format(path: str | os.PathLike, fmt: str | None = None) -> str:
    """'csv', 'tsv', 'jsonl' or 'parquet', from `fmt` or the file suffix."""
    if fmt:
        f = fmt.lower().lstrip(".")
        f = {"ndjson": "jsonl", "json": "jsonl", "jsonlines": "jsonl", "pq": "parquet"}.get(f, f)
        if f not in FORMATS:
            raise InputError(f"unknown input format {fmt!r} (expected csv, tsv, jsonl or parquet)", path)
        return f
    suffix = Path(path).suffix.lower()
    found = _SUFFIX_FORMATS.get(suffix)
    if found is None:
        raise InputError(f"cannot tell the format of the file from its suffix {suffix or '(none)'!r}; "
                         "use .csv, .tsv, .jsonl, .ndjson or .parquet", path)
    return found


def read_batches(path: str | os.PathLike, *, fmt: str | None = None, delimiter: str | None = None,
                 encoding: str = "utf-8", null_values: Iterable[str] = (),
                 batch_size: int = DEFAULT_BATCH_SIZE, offset: int = 0) -> Iterator[list[RawRow]]:
    """The rows of one file, in lists of at most `batch_size` rows (`offset`: the
    rows of the files read before it as the same input).

    `null_values` are extra spellings of null ("NA", "NULL"): a text value that
    is one of them (surrounding whitespace ignored) is read as None.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    kind = detect_format(path, fmt)
    nulls = frozenset(v.strip() for v in null_values if v is not None)
    if kind in ("csv", "tsv"):
        sep = csv_delimiter(delimiter, kind, path)
        return _csv_batches(path, sep, _codec(encoding, path), nulls, batch_size, offset)
    if kind == "jsonl":
        return _jsonl_batches(path, _codec(encoding, path), nulls, batch_size, offset)
    return _parquet_batches(path, nulls, batch_size, offset)


def rows_at(files: Sequence[str], offsets: Sequence[int], total: int, rows: set[int],
            batch_size: int) -> dict[int, RawRow]:
    """Some rows of an input read as several files (`offsets`: the rows before each file;
    `total`: the rows of all), by their number across the files, as this reader gives them:
    each file is read only as far as its last row wanted, and a file with none not at all."""
    found = {}
    ends = list(offsets[1:]) + [total]
    for path, offset, end in zip(files, offsets, ends):
        wanted = {r - offset for r in rows if offset < r <= end}
        if not wanted:
            continue
        last = max(wanted)
        for batch in read_batches(path, batch_size=batch_size, offset=offset):
            for raw in batch:
                if raw.row in wanted:
                    found[raw.order] = raw
            if batch and batch[-1].row >= last:
                break
    return found


class LazyRaws:
    """Rows read back only for the rare customer that needs one (a `unique` conflict found by
    an engine's own query), by its row number across the input's files."""

    def __init__(self, files: Sequence[str], offsets: Sequence[int], total: int, batch_size: int):
        self.files, self.offsets, self.total, self.batch_size = files, offsets, total, batch_size

    def by_order(self, order: int) -> RawRow:
        return rows_at(self.files, self.offsets, self.total, {order}, self.batch_size)[order]


def read_rows(path: str | os.PathLike, **options) -> Iterator[RawRow]:
    """Row by row, for callers that do not care about batches (tests, explain)."""
    for batch in read_batches(path, **options):
        yield from batch


def columns(path: str | os.PathLike, *, fmt: str | None = None, delimiter: str | None = None,
            encoding: str = "utf-8") -> list[str]:
    """The column names of a file: the CSV header, the Parquet schema, or the
    keys of the first records of a JSON Lines file in order of appearance."""
    kind = detect_format(path, fmt)
    if kind in ("csv", "tsv"):
        sep = csv_delimiter(delimiter, kind, path)
        codec = _codec(encoding, path)
        with _open_text(path, codec, newline="") as f:
            try:
                header = _first_record(csv.reader(f, delimiter=sep, strict=True))
            except UnicodeError:
                raise _decode_error(path, codec) from None
            except csv.Error as e:
                raise _header_error(path, sep, codec, e) from None
        return _clean_header(header) if header else []
    if kind == "jsonl":
        seen: dict[str, None] = {}
        with closing(_jsonl_batches(path, _codec(encoding, path), frozenset(), _JSONL_HEADER_SAMPLE)) as batches:
            for r in next(batches, []):
                seen.update(dict.fromkeys(r.values))
        return list(seen)
    pf = _open_parquet(path)
    try:
        return list(pf.schema_arrow.names)
    finally:
        pf.close()


def expand(pattern: str | os.PathLike | Sequence[str | os.PathLike]) -> list[str]:
    """The files a pattern names, sorted, so a run over `exports/*.csv` reads
    them in the same order on every machine. A name without wildcards is
    returned as is (a missing file is reported when it is read)."""
    patterns = [pattern] if isinstance(pattern, (str, os.PathLike)) else list(pattern)
    out: list[str] = []
    for p in patterns:
        p = os.fspath(p)
        if glob.has_magic(p):
            found = sorted(f for f in glob.glob(p, recursive=True) if os.path.isfile(f))
            if not found:
                raise InputError(f"no file matches {p!r}", p)
            out.extend(found)
        else:
            out.append(p)
    return out


def iter_files(pattern: str | os.PathLike | Sequence[str | os.PathLike], **options) -> Iterator[list[RawRow]]:
    """The batches of every file a pattern names, one file after the other.
    Row numbers start again at 1 in each file (each RawRow carries its path),
    because that is how the analyst finds the row; `RawRow.order` counts on."""
    offset = 0
    for p in expand(pattern):
        last = 0
        for batch in read_batches(p, offset=offset, **options):
            if batch:
                last = batch[-1].row
            yield batch
        offset += last


# ---- CSV ---------------------------------------------------------------------

def _csv_batches(path, sep: str, codec: str, nulls: frozenset, batch_size: int,
                 offset: int = 0) -> Iterator[list[RawRow]]:
    spath = os.fspath(path)
    with _open_text(path, codec, newline="") as f:
        taken: list[str] = []             # the lines of the record being read: an unreadable row keeps them
        reader = csv.reader(_kept_lines(f, taken), delimiter=sep, strict=True)
        try:
            header = _first_record(reader)
        except UnicodeError:
            raise _decode_error(path, codec) from None
        except csv.Error as e:
            raise _header_error(path, sep, codec, e) from None
        if header is None:
            return
        taken.clear()
        header = _clean_header(header)
        width = len(header)
        batch: list[RawRow] = []
        row = 0
        prev = reader.line_num            # last line consumed so far
        make = RawRow
        while True:
            try:
                for rec in reader:
                    start = prev + 1
                    prev = reader.line_num
                    text = None
                    if len(rec) == width:
                        values = dict(zip(header, rec))
                        problem = None
                    elif not rec:
                        taken.clear()
                        continue          # blank line
                    else:
                        values = dict(zip(header, rec))
                        problem = (f"has {len(rec)} cell{'s' if len(rec) != 1 else ''} but the header has "
                                   f"{width} column{'s' if width != 1 else ''}")
                        text = _record_text(taken)
                    taken.clear()
                    if nulls:
                        values = {k: (None if v.strip() in nulls else v) for k, v in values.items()}
                    row += 1
                    batch.append(make(row, start, values, spath, problem, offset, text))
                    if len(batch) >= batch_size:
                        yield batch
                        batch = []
                break
            except UnicodeError:
                raise _decode_error(path, codec) from None
            except csv.Error as e:
                start = prev + 1
                prev = reader.line_num
                row += 1
                if "unexpected end of data" in str(e):
                    raise InputError(f"a quoted cell starting on line {start} or later is never closed "
                                     "(a \" without its closing \")", path, row, start) from None
                if "field larger than field limit" in str(e):
                    raise InputError(f"a cell is longer than {CELL_LIMIT:,} characters, the longest segdsl reads "
                                     "(or a \" before it is never closed)", path, row, start) from None
                batch.append(make(row, start, {}, spath, f"cannot be read as CSV: {e}", offset, _record_text(taken)))
                taken.clear()
        if batch:
            yield batch


def _kept_lines(f, taken: list[str]) -> Iterator[str]:
    """The file's lines, each also kept in `taken` until the reader's caller clears it: the text
    of the record being read, for a row that cannot be read (the quarantine file's `_raw`)."""
    for line in f:
        taken.append(line)
        yield line


def _record_text(taken: list[str]) -> str:
    """A record's lines as the file has them, without the final line break."""
    text = "".join(taken)
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith(("\n", "\r")) else text


def _header_error(path, sep: str, codec: str, e: csv.Error) -> InputError:
    """The header line cannot be read; when another delimiter reads it, say which."""
    detail = f"cannot read the header line: {e}"
    try:
        with _open_text(path, codec, newline="") as f:
            first = f.readline(CELL_LIMIT)
    except (OSError, UnicodeError):
        first = ""
    other = guess_delimiter(first, sep)
    if other is not None:
        detail += f"; the columns seem separated by {shown_delimiter(other)}: give that delimiter"
    return InputError(detail, path, line=1)


def guess_delimiter(line: str, sep: str) -> str | None:
    """Another delimiter that splits `line` (outside quotes) where `sep` does not, else None."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    if counts.get(sep):
        return None
    best = max((d for d in _DELIMITERS if d != sep), key=lambda d: counts[d])
    return best if counts[best] else None


def shown_delimiter(d: str) -> str:
    return "tabs" if d == "\t" else f"'{d}'"


def _first_record(reader) -> list[str] | None:
    """The header: the first line that is not blank."""
    for rec in reader:
        if rec:
            return rec
    return None


def _clean_header(header: list[str]) -> list[str]:
    if header and header[0].startswith("\ufeff"):        # a BOM left by a non-UTF-8 codec
        header = [header[0][1:], *header[1:]]
    return header


def csv_delimiter(delimiter: str | None, kind: str, path) -> str:
    """The one-character delimiter a CSV or TSV file (`kind`) is read with."""
    return _delimiter(delimiter, "\t" if kind == "tsv" else ",", path)


def _delimiter(delimiter: str | None, default: str, path) -> str:
    if delimiter is None or delimiter == "":
        return default
    named = {"\\t": "\t", "tab": "\t", "TAB": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    d = named.get(delimiter, delimiter)
    if len(d) != 1 or d in "\r\n\"":
        raise InputError(f"the delimiter must be one character, not {delimiter!r}", path)
    return d


# ---- JSON Lines --------------------------------------------------------------

def _jsonl_batches(path, codec: str, nulls: frozenset, batch_size: int,
                   offset: int = 0) -> Iterator[list[RawRow]]:
    spath = os.fspath(path)
    loads = json.loads
    make = RawRow
    batch: list[RawRow] = []
    row = 0
    line = 0
    with _open_text(path, codec, newline=None) as f:
        try:
            for line, text in enumerate(f, 1):
                try:
                    obj = loads(text)
                except ValueError as e:
                    if not text.strip():
                        continue      # blank line
                    raise _json_error(path, row + 1, line, text, e) from None
                row += 1
                if type(obj) is not dict:
                    raise InputError(f"line {line} is a JSON {_json_kind(obj)}, not an object "
                                     "(JSON Lines needs one {...} record per line)", path, row, line)
                if nulls:
                    obj = {k: (None if type(v) is str and v.strip() in nulls else v) for k, v in obj.items()}
                batch.append(make(row, line, obj, spath, None, offset))
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        except UnicodeError:
            raise _decode_error(path, codec) from None
    if batch:
        yield batch


def _json_error(path, row: int, line: int, text: str, e: ValueError) -> InputError:
    msg = getattr(e, "msg", str(e))
    col = getattr(e, "colno", None)
    at = f" (column {col})" if col else ""
    hint = ""
    if line == 1 and text.lstrip().startswith("["):
        hint = "; the file looks like one JSON array, but JSON Lines needs one object per line"
    return InputError(f"line {line} is not valid JSON: {msg}{at}{hint}", path, row, line)


def _json_kind(obj) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(obj), "number")


# ---- Parquet -----------------------------------------------------------------

def _open_parquet(path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path) from None
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"not a readable Parquet file: {e}", path) from None


def _parquet_batches(path, nulls: frozenset, batch_size: int, offset: int = 0) -> Iterator[list[RawRow]]:
    spath = os.fspath(path)
    for first, rb in parquet_batches(path, batch_size):
        yield parquet_rows(rb, nulls, spath, offset, first)


def parquet_batches(path, batch_size: int) -> Iterator[tuple[int, object]]:
    """(rows before it in the file, batch) for each record batch of a Parquet file, as
    `plain_batch` gives it. The one place Parquet is cut into batches: plain_batch decides
    per batch, so every path that reads a file must see it in the same batches."""
    import pyarrow as pa
    pf = _open_parquet(path)
    row = 0
    try:
        batches = pf.iter_batches(batch_size=batch_size)
        while True:
            try:
                rb = next(batches, None)
            except (pa.ArrowException, OSError) as e:
                raise InputError(f"cannot read the Parquet data after row {row}: {e}", path) from None
            if rb is None:
                break
            yield row, plain_batch(rb)
            row += rb.num_rows
    finally:
        pf.close()


def parquet_rows(rb, nulls: frozenset, path: str, offset: int, first: int,
                 at: Sequence[int] | None = None) -> list[RawRow]:
    """RawRows of a plain record batch whose first row is row `first + 1` of its file: all
    of them, or those at the positions `at` (in order)."""
    import pyarrow as pa
    records = (rb if at is None else rb.take(pa.array(at, pa.int64()))).to_pylist()
    if nulls:
        records = [{k: (None if type(v) is str and v.strip() in nulls else v) for k, v in r.items()}
                   for r in records]
    places = range(1, len(records) + 1) if at is None else [i + 1 for i in at]
    make = RawRow
    return [make(first + i, None, values, path, None, offset) for i, values in zip(places, records)]


def plain_batch(rb):
    """Nanosecond timestamps become microseconds: Python datetimes stop there,
    and without this pyarrow hands out pandas objects or fails. A date or
    timestamp column holding a value outside years 1 to 9999 (which Python, and
    so the language, cannot hold) becomes its text: the validator then reports
    that row of a declared field by row and column, and a column the rules do not
    declare is carried as text, never converted."""
    import pyarrow as pa
    if not any(pa.types.is_timestamp(t) or pa.types.is_date(t) for t in rb.schema.types):
        return rb
    cols = []
    for col in rb.columns:
        t = col.type
        if pa.types.is_timestamp(t) and t.unit == "ns":
            col = col.cast(pa.timestamp("us", t.tz), safe=False)
        if (pa.types.is_timestamp(t) or pa.types.is_date(t)) and not _within_years(col):
            col = col.cast(pa.string())
        cols.append(col)
    return pa.RecordBatch.from_arrays(cols, names=rb.schema.names)


def _within_years(col) -> bool:
    """Whether every value of a date or timestamp column is in years 1 to 9999."""
    import pyarrow as pa
    import pyarrow.compute as pc
    t = col.type
    if pa.types.is_date(t):
        days = col.cast(pa.date32()).cast(pa.int32())
        low, high = FIRST_DAY, LAST_DAY
    else:
        per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[t.unit]
        days = col.cast(pa.int64())
        low, high = FIRST_DAY * per_day, (LAST_DAY + 1) * per_day - 1
    bounds = pc.min_max(days)
    lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
    return lo is None or (lo >= low and hi <= high)


# the first day of year 1 and the last of 9999, counted from 1970-01-01 (Arrow's day numbers)
FIRST_DAY, LAST_DAY = -719162, 2932896


# ---- files and encodings -------------------------------------------------------

def _codec(encoding: str | None, path) -> str:
    name = encoding or "utf-8"
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise InputError(f"unknown encoding {name!r}", path) from None
    # Excel writes UTF-8 with a byte-order mark; reading it as plain UTF-8
    # would glue the mark to the first column name.
    return "utf-8-sig" if canonical == "utf-8" else name


def _open_text(path, codec: str, newline):
    try:
        return open(path, encoding=codec, errors="strict", newline=newline)
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path) from None
    except OSError as e:
        raise InputError(f"cannot open the file: {e.strerror or e}", path) from None


def _decode_error(path, codec: str) -> InputError:
    """Text is decoded in chunks, so the exception does not say which line is
    bad; find it by decoding the file again line by line (error path only)."""
    shown = "utf-8" if codec == "utf-8-sig" else codec
    canonical = codecs.lookup(codec).name
    if canonical in ("utf-16", "utf-32"):
        try:
            with open(path, "rb") as f:
                codecs.getincrementaldecoder(codec)(errors="strict").decode(f.read(4))
        except UnicodeError as e:
            if "BOM" in str(e):         # the text has no byte-order mark to tell its byte order
                return InputError(f"the file does not start with a byte-order mark (BOM), which {shown} needs; "
                                  f"give {canonical}-le or {canonical}-be (or the file's encoding)", path, line=1)
        except OSError:
            pass
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    line = 0
    try:
        with open(path, "rb") as f:
            for line, raw in enumerate(f, 1):
                try:
                    decoder.decode(raw)
                except UnicodeDecodeError as e:
                    bad = raw[e.start:e.end]
                    return InputError(
                        f"line {line} is not valid {shown} text (bytes {bad.hex(' ')} at column {e.start + 1}); "
                        "give the file's encoding, for example gbk, gb18030, big5 or latin-1",
                        path, line=line)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return InputError(f"the file ends in the middle of a {shown} character", path, line=line or None)
    except (UnicodeError, OSError):
        pass
    return InputError(f"the file is not valid {shown} text; give the file's encoding", path)
