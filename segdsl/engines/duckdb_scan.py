"""Parquet inputs read by DuckDB itself: the fast path of the DuckDB engine.

Validating every row in Python costs microseconds per cell; DuckDB's own
Parquet reader with the checks written in SQL costs nanoseconds. The checks
here are a cautious *superset* of io/validate.py: a row SQL is sure about
(right types, no nulls in required fields, inside ranges, exact enum values)
is typed in SQL; every other row is "suspect" and goes through the very same
Python validator the other engines use, which either rescues it (a padded
enum value, say) or rejects it with the same reason and row number. So the
answer never depends on which path a row took.

Used only when every input is a Parquet file whose column types fit the
fields (int ← integers, number ← integers/floats, string/enum ← text,
bool ← booleans, date ← dates, datetime ← timestamps without zone), and no
null spellings or kept columns are asked for; otherwise the engine reads
through Python.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from .. import ir
from ..backends.names import ORDER, ROW
from ..io.readers import LazyRaws, detect_format, expand, rows_at
from ..io.validate import RowValidator
from .column_types import fits
from .rows import repeated_key

SUSPECT = "__segdsl_suspect"    # duckdb_scan_sql.SUSPECT


def eligible(rs: ir.Ruleset, opts) -> bool:
    if opts.null_values or opts.keep:
        return False
    for name, pattern in opts.inputs.items():
        fields = rs.customer if rs.customer and rs.customer.name == name else rs.related_input(name)
        try:
            files = expand(pattern)
        except Exception:  # noqa: BLE001 - let the Python reader report it
            return False
        for path in files:
            try:
                if detect_format(path) != "parquet":
                    return False
                schema = pq.read_schema(path)
            except Exception:  # noqa: BLE001 - unreadable here means: let the Python reader report it
                return False
            for f in fields.fields:
                i = schema.get_field_index(f.column)
                if i >= 0 and not fits(f.type.kind, schema.field(i).type):
                    return False
    return True


class ColumnStats:
    """What the Parquet footers prove about a column in every row group of every
    file: how many nulls, and the least and greatest value. A check these prove
    false for the whole input is left out of the per-row test: most checks on
    clean data are.

    Parquet writers leave NaN out of min and max, so for floats they bound only
    the other values; NaN keeps its own per-row test (`isnan`). A string column's
    min is a prefix of the true min when truncated, so a non-empty min still
    proves that no value is empty."""

    def __init__(self, footers: list, column: str):
        self.nulls, self.min, self.max = 0, None, None
        known = True
        for meta in footers:
            i = next((i for i in range(meta.num_columns) if meta.schema.column(i).path == column), None)
            if i is None:                           # missing, or inside a nested column
                known = False
                break
            for g in range(meta.num_row_groups):
                st = meta.row_group(g).column(i).statistics
                if st is None or not st.has_null_count:
                    known = False
                    break
                self.nulls += st.null_count
                if st.null_count == meta.row_group(g).num_rows:
                    continue                        # all null: no value to bound
                if not st.has_min_max:
                    known = False
                    break
                try:
                    self.min = st.min if self.min is None else min(self.min, st.min)
                    self.max = st.max if self.max is None else max(self.max, st.max)
                except (TypeError, OverflowError):       # OverflowError: a date beyond year 9999
                    known = False
                    break
        if not known:
            self.nulls, self.min, self.max = None, None, None

    def proves(self, test) -> bool:
        try:
            return bool(test())
        except TypeError:           # a footer value of another type than the field: prove nothing
            return False


class ParquetInput:
    """One input (a file, or the files a pattern names) as DuckDB views: `scan`
    (all rows, raw), then the typed rows.

    ORDER is a row's place in the whole input: the files one after the other in
    sorted order, as the Python reader meets them; a row's own number in its
    file is ORDER less the rows of the files before it.

    The SQL is built by duckdb_scan_sql.py, through `texts` (engines/sql_cache.py)
    when given: filed under `facts`, everything here the text depends on besides
    the ruleset."""

    def __init__(self, con, schema: ir.InputSchema, path, keyless: bool, texts=None):
        self.con, self.schema, self.keyless, self.texts = con, schema, keyless, texts
        self.files = expand(path)
        footers = [pq.read_metadata(f) for f in self.files]      # each file's footer, read once
        counts = [m.num_rows for m in footers]
        self.offsets = [sum(counts[:i]) for i in range(len(counts))]
        self.num_rows = sum(counts)
        self.columns = set.intersection(*(set(m.schema.to_arrow_schema().names) for m in footers))
        self.scan = f"__segdsl_scan_{schema.name}"
        self.stats = {f.column: ColumnStats(footers, f.column) for f in schema.fields if f.column in self.columns}
        self.facts = (schema.name, keyless, tuple(self.files), tuple(self.offsets), tuple(sorted(self.columns)),
                      tuple((c, s.nulls, s.min, s.max) for c, s in sorted(self.stats.items())))
        con.execute(self.text("scan", lambda q: q.create_scan(self)))

    def text(self, what: str, build, *parts) -> str:
        """A statement's text, from the cache when the same facts built it before."""
        def built() -> str:
            from . import duckdb_scan_sql
            return build(duckdb_scan_sql)
        if self.texts is None:
            return built()
        return self.texts.get(what, (self.facts, *parts), built)

    def typed_select(self, where):
        """The typed rows of the scan that `where` (a sqlglot condition) keeps."""
        from . import duckdb_scan_sql
        return duckdb_scan_sql.typed_select(self, where)

    def create_sure_view(self, view: str) -> str:
        return self.text("sure", lambda q: q.create_sure_view(self, view), view)

    def create_every_row_view(self, view: str) -> str:
        return self.text("every", lambda q: q.create_every_row_view(self, view), view)

    def locate(self, order: int) -> tuple[int, str | None]:
        """A row's number in its file, and the file when the input has several."""
        if len(self.files) == 1:
            return order, None
        i = max(i for i, o in enumerate(self.offsets) if o < order)
        return order - self.offsets[i], self.files[i]

    def keys_distinct(self, key: str, cursor=None) -> bool:
        """Whether no key is null or repeated (read from the key column alone)."""
        f = next(f for f in self.schema.fields if f.name == key)
        if f.column not in self.columns:
            return False
        query = self.text("keys", lambda q: q.keys_distinct(self, f.column), f.column)
        return bool((cursor or self.con).execute(query).fetchall()[0][0])

    def count_and_suspects(self, key: str | None) -> tuple[int, list[int], bool]:
        """Rows in the file, the row numbers SQL is not sure about, and whether the sure
        rows may repeat a key (all in one scan)."""
        from . import duckdb_scan_sql
        n, rows, repeated = self.con.execute(duckdb_scan_sql.count_and_suspects(self, key)).fetchall()[0]
        return n, rows or [], bool(repeated)

    def raw_rows(self, rows: set[int], batch_size: int) -> dict:
        """The rows as the Python reader gives them (for the validator and the quarantine file)."""
        return rows_at(self.files, self.offsets, self.num_rows, rows, batch_size)

    def lazy_raws(self, batch_size: int) -> LazyRaws:
        return LazyRaws(self.files, self.offsets, self.num_rows, batch_size)


def load(rows, inp: ParquetInput, table: str, arrow_schema, unique_key: str | None) -> bool:
    """Typed rows of one input into view `table`: SQL-sure rows plus the suspects Python accepts.

    Bad rows (and repeated keys of a customer input) go to the bad-row policy of `rows` (InputRows)
    in row order, exactly as the Python reader would meet them. Returns whether the
    rows may no longer be in file order (a suspect rescued, a repeated key dropped)."""
    from . import duckdb_scan_sql as q
    con, schema = inp.con, inp.schema
    count, suspects, repeats = inp.count_and_suspects(unique_key)
    rows.summary.read[schema.name] = rows.summary.read.get(schema.name, 0) + count
    raws = inp.raw_rows(set(suspects), rows.opts.batch_size)
    validator = RowValidator(schema, date_format=rows.opts.date_format)
    rescued, bad = [], []
    for row in suspects:
        raw = raws[row]
        if raw.problem:
            bad.append((row, raw, raw.problem))
            continue
        rec, reason = validator.convert(raw)
        if reason is not None:
            bad.append((row, raw, reason))
        else:
            rescued.append((raw, rec))
    cols = {f.name: [r[f.name] for _, r in rescued] for f in schema.fields}
    cols[ORDER] = [raw.order for raw, _ in rescued]
    if inp.keyless:
        cols[ROW] = [raw.row for raw, _ in rescued]
    rescued_name = f"__segdsl_rescued_{schema.name}"
    con.register(rescued_name, pa.Table.from_pydict(cols, schema=arrow_schema))
    source = f"__segdsl_all_{schema.name}"
    con.execute(q.all_rows(inp, source, rescued_name, list(arrow_schema.names)))
    dups = []
    if unique_key is not None and (repeats or rescued):
        dups = con.execute(q.repeated_keys(source, unique_key)).fetchall()
        if dups:
            dup_raws = inp.raw_rows({d[0] for d in dups}, rows.opts.batch_size)
            for row, key, first in dups:
                bad.append((row, dup_raws[row], repeated_key(schema, key, *inp.locate(first))))
            dup_table = f"__segdsl_dups_{schema.name}"
            con.register(dup_table, pa.table({ORDER: pa.array([d[0] for d in dups], pa.int64())}))
            con.execute(q.view_of_all(table, source, dup_table))
        else:
            con.execute(q.view_of_all(table, source))
    else:
        con.execute(q.view_of_all(table, source))
    for row, raw, reason in sorted(bad, key=lambda b: b[0]):
        rows.bad.add(schema.name, raw, reason)
    # rows added after the scan's, or an anti-join (which need not keep the order): sort back
    return bool(rescued or dups)
