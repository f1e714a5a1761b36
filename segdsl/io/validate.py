"""Turning raw rows into records of runtime values, or into a reason.

Every engine segments the same records, so the rules for reading a cell live
here once (LANGUAGE.md §2, §9, §11). A row that breaks the schema is never an
exception: `convert` returns a reason naming the field (and its data column
when that is spelled differently), so the caller can fail with the row number,
skip the row, or quarantine it.

How a value is read:

* Null: a missing column, a JSON/Parquet null, an empty text value (for every
  type, strings included: spreadsheets cannot tell "" from missing) and, for
  every type but string, text of spaces only. `null_values` adds spellings
  ("NA", "NULL"); they are compared with surrounding whitespace removed.
  A null becomes the field's default if it has one, else stays null if the
  field is `?`, else the row is bad ("missing required field ...").
* Whitespace around text is ignored for every type except string; strings keep
  their text exactly (a key "C001 " is not "C001").
* int: an optional sign and digits; "12.0" is read as 12 (pandas writes
  integer columns that have nulls that way), "12.5" and "1e3" are bad. Typed
  values: an int, or a float/decimal with no fractional part. 64-bit range.
* number: anything Python's float() reads except NaN and infinities ("3.5",
  "-2", "1e3"); typed ints and decimals become floats. Always a Python float.
* bool: true/false, yes/no, 1/0, in any letter case; typed booleans, and the
  integers 0 and 1.
* string: text as is; typed integers (numeric ids in Parquet/JSON) become
  their decimal text. Other typed values are bad.
* date: `YYYY-MM-DD` only, or a date value from Parquet. A datetime is not a
  date, even at midnight (declare the field as datetime instead).
* datetime: `YYYY-MM-DD`, then optionally `T` or one space and `HH:MM`,
  `:SS`, `.fraction` (beyond microseconds is cut off); a date alone means
  midnight; no time zones. A Parquet timestamp is taken as the wall-clock
  time it shows (any time zone dropped), a Parquet date as its midnight.
* `date_format` (a strptime format) replaces the ISO forms for text in date
  and datetime fields; a date field still refuses a time other than 00:00.
* enum: the text (trimmed) must be one of the members' data values, exactly,
  case-sensitive; the record holds the member's *name*. Typed integers are
  matched by their decimal text.
* `in a..b`: inclusive; checked after conversion, on the value (not the
  default).

Columns the schema does not mention are ignored.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any, Callable, Iterable

from ..ir import FieldSchema, InputSchema
from ..types import Kind
from .readers import RawRow, guess_delimiter, shown_delimiter

_INT64_MIN = -(2 ** 63)
_INT64_MAX = 2 ** 63 - 1
_MIDNIGHT = dt.time(0, 0)

_INTEGRAL_DECIMAL = re.compile(r"[+-]?[0-9]+\.0*\Z")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_ISO_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?)?\Z")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


class _Reject(Exception):
    """Raised by a field reader; carries the reason for the row."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Detail(ValueError):
    """A bad value with a more precise complaint than 'is not a <type>'."""


class RowValidator:
    """Converts raw rows of one input; build once per input and file format
    options, then call `convert` for each row. One reader closure per field is
    prepared here, so the per-row work is a dict lookup and a parse."""

    def __init__(self, schema: InputSchema, null_values: Iterable[str] = (),
                 date_format: str | None = None) -> None:
        self.schema = schema
        self.null_values = tuple(null_values)
        self.date_format = date_format
        nulls = frozenset(v.strip() for v in self.null_values if v is not None)
        self._readers: tuple[tuple[str, Callable[[dict], Any]], ...] = tuple(
            (f.name, _compile(f, nulls, date_format)) for f in schema.fields)

    def convert(self, raw: RawRow) -> tuple[dict | None, str | None]:
        """(record, None) for a good row, (None, reason) for a bad one. The
        reason lists every bad field of the row, so one fix-up pass suffices."""
        if raw.problem is not None:
            return None, raw.problem
        values = raw.values
        try:
            return {name: read(values) for name, read in self._readers}, None
        except _Reject:
            return None, self._all_reasons(values)

    def split(self, batch: Iterable[RawRow]) -> tuple[list[tuple[RawRow, dict]], list[tuple[RawRow, str]]]:
        """A batch as (good rows with their records, bad rows with reasons)."""
        good: list[tuple[RawRow, dict]] = []
        bad: list[tuple[RawRow, str]] = []
        convert = self.convert
        for raw in batch:
            record, reason = convert(raw)
            if record is None:
                bad.append((raw, reason))
            else:
                good.append((raw, record))
        return good, bad

    def _all_reasons(self, values: dict) -> str:
        reasons = []
        for _, read in self._readers:
            try:
                read(values)
            except _Reject as e:
                reasons.append(e.reason)
        return "; ".join(reasons)


def check_columns(schema: InputSchema, columns: Iterable[str]) -> list[str]:
    """Whole-file problems with a header: a required field whose column is
    not there (every row would be bad, so say it once), or a column the schema
    reads that appears twice (which one is meant?)."""
    cols = list(columns)
    present = set(cols)
    problems = []
    for f in schema.fields:
        if f.column in present:
            n = cols.count(f.column)
            if n > 1:
                problems.append(f'column "{f.column}" appears {n} times in the header')
            continue
        if not f.required:
            continue
        if f.column == f.name:
            msg = f'missing column "{f.column}" (a required field)'
        else:
            msg = f'missing column "{f.column}" for required field \'{f.name}\''
        near = _near_column(f.column, cols)
        if near is not None:
            msg += f'; did you mean "{near}"?'
        problems.append(msg)
    if any(p.startswith("missing column") for p in problems):
        problems.append(_what_the_header_has(cols))
    return problems


def _what_the_header_has(cols: list[str]) -> str:
    """The columns the file does have; a header read as one column names the delimiter it has."""
    if len(cols) == 1:
        other = guess_delimiter(cols[0], ",")
        if other is not None:
            return (f'the header reads as one column "{cols[0][:80]}": the columns seem separated by '
                    f"{shown_delimiter(other)}: give that delimiter")
    shown = ", ".join(f'"{c}"' for c in cols[:20])
    more = f" and {len(cols) - 20} more" if len(cols) > 20 else ""
    return f"the file has the columns {shown}{more}" if cols else "the file has no columns"


def _near_column(column: str, columns: list[str]) -> str | None:
    folded = column.strip().casefold()
    for c in columns:
        if c.strip().casefold() == folded:
            return c
    import difflib                  # only for a file that lacks a column
    close = difflib.get_close_matches(column, columns, n=1, cutoff=0.75)
    return close[0] if close else None


# ---- one reader per field ----------------------------------------------------

def _compile(f: FieldSchema, nulls: frozenset, date_format: str | None) -> Callable[[dict], Any]:
    col = f.column
    kind = f.type.kind
    who = f.name if f.column == f.name else f'{f.name} (column "{f.column}")'
    missing_reason = (f"missing required field '{f.name}'" if f.column == f.name
                      else f'missing required field \'{f.name}\' (column "{f.column}")')
    has_default, default, nullable = f.has_default, f.default, f.type.nullable

    def absent():
        if has_default:
            return default
        if nullable:
            return None
        raise _Reject(missing_reason)

    if kind is Kind.STRING:
        return _string_reader(col, who, nulls, absent, frozenset(f.missing))
    if kind is Kind.ENUM and f.missing:
        # an enum's `missing` values are data texts, matched as the member values are
        nulls = nulls | frozenset(f.missing)
    sentinels = frozenset(f.missing) if kind is not Kind.ENUM else frozenset()

    text_parse, typed_parse, describe = _parsers(f, date_format, who)
    lo, hi = _bounds(f)
    checked = lo is not None or hi is not None
    span = range_text(f.low, f.high)

    def bad(v, e: Exception) -> _Reject:
        if isinstance(e, _Detail):
            return _Reject(f"{who} = {_show(v)} {e}")
        return _Reject(describe(v))

    def read(values: dict):
        v = values.get(col)
        if v.__class__ is str:
            s = v.strip()
            if not s or s in nulls:
                return absent()
            try:
                x = text_parse(s)
            except (ValueError, TypeError, ArithmeticError) as e:
                raise bad(v, e) from None
        elif v is None:
            return absent()
        else:
            try:
                x = typed_parse(v)
            except (ValueError, TypeError, ArithmeticError) as e:
                raise bad(v, e) from None
        if sentinels and x in sentinels:
            return absent()
        if checked and ((lo is not None and x < lo) or (hi is not None and x > hi)):
            shown = v.strip() if v.__class__ is str else _show(x)
            raise _Reject(f"{who} = {shown} is out of range {span}")
        return x

    return read


def _string_reader(col: str, who: str, nulls: frozenset, absent, missing: frozenset) -> Callable[[dict], Any]:
    def read(values: dict):
        v = values.get(col)
        if v.__class__ is str:
            if not v or (nulls and v.strip() in nulls) or (missing and v in missing):
                return absent()
            return v
        if v is None:
            return absent()
        if v.__class__ is int:
            return absent() if missing and str(v) in missing else str(v)      # numeric ids in Parquet/JSON
        raise _Reject(f"{who} = {_show(v)} is not a string")
    return read


def _parsers(f: FieldSchema, date_format: str | None, who: str):
    """(parse text, parse a typed value, reason for a bad value) for a field."""
    kind = f.type.kind

    def plain(what: str):
        return lambda v: f"{who} = {_show(v)} is not {what}"

    if kind is Kind.INT:
        return _int_text, _int_typed, plain("an integer")
    if kind is Kind.NUMBER:
        return _number_text, _number_typed, plain("a number")
    if kind is Kind.BOOL:
        return _bool_text, _bool_typed, plain("a boolean (true/false, yes/no, 1/0)")
    if kind is Kind.DATE:
        if date_format:
            return _date_strptime(date_format), _date_typed, plain(f"a date in the format {date_format}")
        return _date_text, _date_typed, plain("a date (YYYY-MM-DD)")
    if kind is Kind.DATETIME:
        if date_format:
            return (_datetime_strptime(date_format), _datetime_typed,
                    plain(f"a datetime in the format {date_format}"))
        return _datetime_text, _datetime_typed, plain("a datetime (YYYY-MM-DD HH:MM:SS)")
    if kind is Kind.ENUM:
        return _enum_parsers(f, who)
    raise ValueError(f"field {f.name!r} has type {f.type.describe()}, which data cannot hold")


def _bounds(f: FieldSchema):
    lo, hi = f.low, f.high
    if f.type.kind is Kind.DATETIME:
        lo, hi = (_as_datetime(b) for b in (lo, hi))
    return lo, hi


def _as_datetime(b):
    if b is not None and type(b) is dt.date:
        return dt.datetime.combine(b, _MIDNIGHT)
    return b


def range_text(lo, hi) -> str:
    def fmt(b):
        if isinstance(b, float) and b.is_integer() and abs(b) < 1e15:
            return str(int(b))
        return b.isoformat() if isinstance(b, dt.date) else str(b)
    if lo is not None and hi is not None:
        return f"{fmt(lo)}..{fmt(hi)}"
    return f"{fmt(lo)}.." if lo is not None else f"..{fmt(hi)}"


# ---- int, number, bool -----------------------------------------------------------

def _int_text(s: str) -> int:
    try:
        x = int(s)
    except ValueError:
        if not _INTEGRAL_DECIMAL.match(s):
            raise
        x = int(s[:s.index(".")])
    else:
        if "_" in s:
            raise ValueError(s)
    if not _INT64_MIN <= x <= _INT64_MAX:
        raise _Detail("is too large for an int (64 bits)")
    return x


def _int_typed(v) -> int:
    if v.__class__ is int:
        x = v
    elif isinstance(v, bool):
        raise TypeError
    elif isinstance(v, int):
        x = int(v)
    elif isinstance(v, (float, Decimal)) and v == v and v not in (float("inf"), float("-inf")) and v == int(v):
        x = int(v)
    else:
        raise TypeError
    if not _INT64_MIN <= x <= _INT64_MAX:
        raise _Detail("is too large for an int (64 bits)")
    return x


def _number_text(s: str) -> float:
    x = float(s)
    if x - x != 0.0:
        raise _Detail("is not a finite number (add it to the null values if it means missing)")
    if "_" in s:
        raise ValueError(s)
    return x


def _number_typed(v) -> float:
    if v.__class__ is float:
        x = v
    elif isinstance(v, bool):
        raise TypeError
    elif isinstance(v, (int, float, Decimal)):
        x = float(v)
    else:
        raise TypeError
    if x - x != 0.0:
        raise _Detail("is not a finite number")
    return x


def _bool_text(s: str) -> bool:
    low = s.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(s)


def _bool_typed(v) -> bool:
    if v is True or v is False:
        return v
    if v.__class__ is int and v in (0, 1):
        return v == 1
    raise TypeError


# ---- dates -------------------------------------------------------------------------

_BEYOND_YEARS = re.compile(r"([+-]?[0-9]{5,}|0000|-[0-9]{4})-[0-9]{2}-[0-9]{2}")


def _outside_years(s: str) -> None:
    """A date written with a year outside 1 to 9999 (`10000-01-01`, `0000-12-31`): a reason of its own."""
    if _BEYOND_YEARS.match(s):
        raise _Detail("is outside years 1 to 9999, the dates every engine holds")


def _date_text(s: str) -> dt.date:
    if not _ISO_DATE.match(s):
        _outside_years(s)
        raise ValueError(s)
    _outside_years(s)
    return dt.date.fromisoformat(s)


def _date_typed(v) -> dt.date:
    if v.__class__ is dt.date:
        return v
    if isinstance(v, dt.datetime):
        raise _Detail("is a datetime, not a date (declare the field as datetime, or store the column as dates)")
    raise TypeError


def _date_strptime(fmt: str):
    strptime = dt.datetime.strptime

    def parse(s: str) -> dt.date:
        d = strptime(s, fmt)
        if d.time() != _MIDNIGHT:
            raise _Detail("has a time of day; a date field takes dates only")
        return d.date()
    return parse


def _datetime_text(s: str) -> dt.datetime:
    _outside_years(s)
    m = _ISO_DATETIME.match(s)
    if m is None:
        raise ValueError(s)
    y, mo, d, h, mi, sec, frac = m.groups()
    return dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0),
                       int((frac or "0")[:6].ljust(6, "0")))


def _datetime_typed(v) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None) if v.tzinfo is not None else v
    if v.__class__ is dt.date:
        return dt.datetime.combine(v, _MIDNIGHT)
    raise TypeError


def _datetime_strptime(fmt: str):
    strptime = dt.datetime.strptime

    def parse(s: str) -> dt.datetime:
        d = strptime(s, fmt)
        return d.replace(tzinfo=None) if d.tzinfo is not None else d
    return parse


# ---- enums ---------------------------------------------------------------------------

def _enum_parsers(f: FieldSchema, who: str):
    enum = f.type.enum
    by_value = enum.by_value() if enum else {}
    values = list(by_value)

    def text(s: str) -> str:
        return by_value[s]

    def typed(v) -> str:
        if v.__class__ is int:
            return by_value[str(v)]
        raise TypeError

    shown = list_values(values)

    def describe(v) -> str:
        reason = f"{who} = {_show(v)} is not one of {shown}"
        if isinstance(v, str):
            s = v.strip()
            near = [d for d in values if d.casefold() == s.casefold()]
            if near:
                reason += f" (values are case-sensitive: {_quote_value(near[0])}?)"
        return reason

    def text_or_key_error(s: str) -> str:
        try:
            return text(s)
        except KeyError:
            raise ValueError(s) from None

    def typed_or_key_error(v) -> str:
        try:
            return typed(v)
        except KeyError:
            raise ValueError(v) from None

    return text_or_key_error, typed_or_key_error, describe


def list_values(values: list[str], limit: int = 12) -> str:
    shown = ", ".join(_quote_value(v) for v in values[:limit])
    if len(values) > limit:
        shown += f", … ({len(values) - limit} more)"
    return shown


def _quote_value(v: str) -> str:
    return v if v and re.fullmatch(r"\w+", v) else json.dumps(v, ensure_ascii=False)


# ---- showing values in reasons -----------------------------------------------------

def _show(v, limit: int = 60) -> str:
    if isinstance(v, str):
        text = repr(v if len(v) <= limit else v[:limit] + "…")
    elif v is None:
        text = "null"
    elif isinstance(v, bool):
        text = "true" if v else "false"
    elif isinstance(v, (dt.date, dt.datetime)):
        text = v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    elif isinstance(v, (list, tuple, dict)):
        try:
            text = json.dumps(v, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(v)
        if len(text) > limit:
            text = text[:limit] + "…"
    else:
        text = str(v)
    return text
