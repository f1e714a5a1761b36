"""Row validation: LANGUAGE.md §2, §9, §11 cell rules, one case each way."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segdsl.io import RawRow, RowValidator, check_columns, read_rows
from segdsl.ir import FieldSchema, InputSchema
from segdsl.types import EnumMember, EnumType, Kind, Type


def field(name, kind, nullable=False, column=None, low=None, high=None, default=None, has_default=False,
          members=None):
    enum = None
    if members is not None:
        enum = EnumType(name, tuple(EnumMember(m, v, None) for m, v in members))
    return FieldSchema(name, Type(kind, nullable, enum=enum), column or name, low, high, default, has_default)


def schema(*fields, key=None):
    return InputSchema("customer", key, tuple(fields))


def one(f, value, **kw):
    """Convert a single cell of field `f`; the column is absent when value is ...."""
    values = {} if value is ... else {f.column: value}
    return RowValidator(schema(f), **kw).convert(RawRow(1, 2, values))


def ok(f, value, **kw):
    record, reason = one(f, value, **kw)
    assert reason is None, reason
    return record[f.name]


def bad(f, value, **kw):
    record, reason = one(f, value, **kw)
    assert record is None
    return reason


# ---- nulls, defaults, required -----------------------------------------------------

def test_missing_required_field():
    f = field("customer_id", Kind.STRING)
    assert bad(f, ...) == "missing required field 'customer_id'"
    assert bad(f, "") == "missing required field 'customer_id'"
    assert bad(f, None) == "missing required field 'customer_id'"
    assert ok(f, "C1") == "C1"


def test_missing_required_field_names_the_column():
    f = field("customer_id", Kind.STRING, column="客户编号")
    assert bad(f, "") == "missing required field 'customer_id' (column \"客户编号\")"
    assert ok(f, "C1") == "C1"


def test_default_applies_to_missing_column_and_empty_cell():
    f = field("complaints_90d", Kind.INT, default=0, has_default=True)
    assert ok(f, ...) == 0
    assert ok(f, "") == 0
    assert ok(f, "  ") == 0
    assert ok(f, None) == 0
    assert ok(f, "3") == 3
    assert bad(f, "three") == "complaints_90d = 'three' is not an integer"


def test_nullable_field_is_null_when_missing():
    f = field("age", Kind.INT, nullable=True)
    assert ok(f, ...) is None
    assert ok(f, "") is None


def test_whitespace_cell_is_null_for_non_strings_but_kept_for_strings():
    assert ok(field("arpu", Kind.NUMBER, nullable=True), "   ") is None
    assert ok(field("d", Kind.DATE, nullable=True), " \t ") is None
    assert bad(field("arpu", Kind.NUMBER), "   ") == "missing required field 'arpu'"
    assert ok(field("name", Kind.STRING), "  ") == "  "
    assert ok(field("name", Kind.STRING), " Ann ") == " Ann "
    assert ok(field("name", Kind.STRING, nullable=True), "") is None


def test_surrounding_whitespace_is_ignored_for_non_strings():
    assert ok(field("age", Kind.INT), " 42 ") == 42
    assert ok(field("arpu", Kind.NUMBER), "\t3.5 ") == 3.5
    assert ok(field("ok", Kind.BOOL), " yes") is True
    assert ok(field("d", Kind.DATE), " 2024-03-01 ") == dt.date(2024, 3, 1)


def test_null_values_option():
    f = field("arpu", Kind.NUMBER, nullable=True)
    assert ok(f, "NA", null_values=["NA", "NULL"]) is None
    assert ok(f, " NULL ", null_values=["NA", "NULL"]) is None
    assert bad(f, "NA") == "arpu = 'NA' is not a number"
    s = field("name", Kind.STRING, nullable=True)
    assert ok(s, "NA", null_values=["NA"]) is None
    assert ok(s, "NA") == "NA"


# ---- int, number, bool --------------------------------------------------------------

def test_int_accepts_integral_text_only():
    f = field("age", Kind.INT)
    assert ok(f, "12") == 12
    assert ok(f, "-3") == -3
    assert ok(f, "+4") == 4
    assert ok(f, "12.0") == 12          # pandas writes int columns with nulls like this
    assert bad(f, "12.5") == "age = '12.5' is not an integer"
    assert bad(f, "1e3") == "age = '1e3' is not an integer"
    assert bad(f, "1_000") == "age = '1_000' is not an integer"
    assert "too large" in bad(f, str(2 ** 63))


def test_int_from_typed_values():
    f = field("age", Kind.INT)
    assert ok(f, 7) == 7
    assert type(ok(f, 7.0)) is int and ok(f, 7.0) == 7
    assert ok(f, Decimal("8")) == 8
    assert bad(f, 7.5) == "age = 7.5 is not an integer"
    assert bad(f, True) == "age = true is not an integer"
    assert bad(f, float("nan")) == "age = nan is not an integer"


def test_number_is_always_a_float():
    f = field("arpu", Kind.NUMBER)
    assert ok(f, "3.5") == 3.5
    assert ok(f, "1e3") == 1000.0
    assert type(ok(f, "12")) is float
    assert type(ok(f, 12)) is float
    assert ok(f, Decimal("2.25")) == 2.25
    assert bad(f, "abc") == "arpu = 'abc' is not a number"
    assert bad(f, "3,5") == "arpu = '3,5' is not a number"
    assert bad(f, False) == "arpu = false is not a number"
    assert "finite" in bad(f, "NaN")
    assert "finite" in bad(f, float("inf"))


def test_range_is_inclusive_and_checked_for_ints_and_numbers():
    age = field("age", Kind.INT, nullable=True, low=0, high=120)
    assert ok(age, "0") == 0 and ok(age, "120") == 120
    assert bad(age, "130") == "age = 130 is out of range 0..120"
    assert bad(age, -1) == "age = -1 is out of range 0..120"
    arpu = field("arpu", Kind.NUMBER, column="月均消费", low=0, high=1000.5)
    assert ok(arpu, "1000.5") == 1000.5
    assert bad(arpu, "1000.6") == 'arpu (column "月均消费") = 1000.6 is out of range 0..1000.5'


def test_default_is_not_range_checked():
    f = field("score", Kind.INT, low=1, high=5, default=0, has_default=True)
    assert ok(f, "") == 0


def test_bool_spellings_any_case():
    f = field("active", Kind.BOOL)
    for text in ("true", "TRUE", "Yes", "1"):
        assert ok(f, text) is True
    for text in ("false", "False", "NO", "0"):
        assert ok(f, text) is False
    assert ok(f, True) is True and ok(f, 0) is False
    assert bad(f, "y") == "active = 'y' is not a boolean (true/false, yes/no, 1/0)"
    assert bad(f, 2) == "active = 2 is not a boolean (true/false, yes/no, 1/0)"


# ---- strings ---------------------------------------------------------------------------

def test_strings_keep_text_and_take_numeric_ids():
    f = field("customer_id", Kind.STRING)
    assert ok(f, "007") == "007"
    assert ok(f, 12345) == "12345"
    assert bad(f, 1.5) == "customer_id = 1.5 is not a string"
    assert bad(f, True) == "customer_id = true is not a string"


# ---- enums -----------------------------------------------------------------------------

INTERNET = [("fiber", "Fiber optic"), ("dsl", "DSL"), ("no", "No")]


def test_enum_maps_data_values_to_member_names():
    f = field("internet", Kind.ENUM, members=INTERNET)
    assert ok(f, "Fiber optic") == "fiber"
    assert ok(f, " DSL ") == "dsl"
    assert ok(f, "No") == "no"


def test_enum_is_case_sensitive_and_lists_values():
    f = field("internet", Kind.ENUM, members=INTERNET)
    assert bad(f, "fiber optic") == ("internet = 'fiber optic' is not one of \"Fiber optic\", DSL, No "
                                     "(values are case-sensitive: \"Fiber optic\"?)")
    assert bad(f, "fiber") == "internet = 'fiber' is not one of \"Fiber optic\", DSL, No"


def test_enum_without_data_values():
    f = field("network", Kind.ENUM, members=[("in_net", "in_net"), ("off_net", "off_net"), ("former", "former")])
    assert ok(f, "off_net") == "off_net"
    assert bad(f, "onnet") == "network = 'onnet' is not one of in_net, off_net, former"


def test_enum_integer_data_values_from_json():
    f = field("tier", Kind.ENUM, members=[("gold", "1"), ("silver", "2")])
    assert ok(f, 1) == "gold" and ok(f, "2") == "silver"
    assert bad(f, 3) == "tier = 3 is not one of 1, 2"


# ---- dates and datetimes ----------------------------------------------------------------

def test_date_iso_only():
    f = field("last_recharge", Kind.DATE)
    assert ok(f, "2024-02-29") == dt.date(2024, 2, 29)
    assert ok(f, dt.date(2024, 1, 2)) == dt.date(2024, 1, 2)
    assert bad(f, "2023-02-29") == "last_recharge = '2023-02-29' is not a date (YYYY-MM-DD)"
    assert bad(f, "2024/01/02") == "last_recharge = '2024/01/02' is not a date (YYYY-MM-DD)"
    assert bad(f, "20240102") == "last_recharge = '20240102' is not a date (YYYY-MM-DD)"
    assert bad(f, "2024-01-02 00:00:00") == "last_recharge = '2024-01-02 00:00:00' is not a date (YYYY-MM-DD)"
    assert "is a datetime, not a date" in bad(f, dt.datetime(2024, 1, 2))


def test_datetime_with_t_or_space():
    f = field("ordered_at", Kind.DATETIME)
    assert ok(f, "2011-03-01T10:00:00") == dt.datetime(2011, 3, 1, 10, 0, 0)
    assert ok(f, "2011-03-01 10:00:05") == dt.datetime(2011, 3, 1, 10, 0, 5)
    assert ok(f, "2011-03-01 10:00") == dt.datetime(2011, 3, 1, 10, 0)
    assert ok(f, "2011-03-01T10:00:05.25") == dt.datetime(2011, 3, 1, 10, 0, 5, 250000)
    assert ok(f, "2011-03-01T10:00:05.123456789") == dt.datetime(2011, 3, 1, 10, 0, 5, 123456)
    assert ok(f, "2011-03-01") == dt.datetime(2011, 3, 1)
    assert bad(f, "2011-03-01T25:00:00") == "ordered_at = '2011-03-01T25:00:00' is not a datetime (YYYY-MM-DD HH:MM:SS)"
    assert bad(f, "2011-03-01T10:00:00Z").startswith("ordered_at = '2011-03-01T10:00:00Z' is not a datetime")
    assert bad(f, "03/01/2011 10:00").startswith("ordered_at = '03/01/2011 10:00' is not a datetime")


def test_datetime_from_typed_values():
    f = field("ordered_at", Kind.DATETIME)
    assert ok(f, dt.datetime(2024, 5, 6, 7, 8)) == dt.datetime(2024, 5, 6, 7, 8)
    assert ok(f, dt.date(2024, 5, 6)) == dt.datetime(2024, 5, 6)
    aware = dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert ok(f, aware) == dt.datetime(2024, 5, 6, 7, 8)
    assert bad(f, 1714979280) == "ordered_at = 1714979280 is not a datetime (YYYY-MM-DD HH:MM:SS)"


def test_date_format_replaces_iso():
    d = field("joined", Kind.DATE)
    t = field("ordered_at", Kind.DATETIME)
    assert ok(d, "31/12/2023", date_format="%d/%m/%Y") == dt.date(2023, 12, 31)
    assert bad(d, "2023-12-31", date_format="%d/%m/%Y") == "joined = '2023-12-31' is not a date in the format %d/%m/%Y"
    assert ok(t, "31/12/2023 23:59", date_format="%d/%m/%Y %H:%M") == dt.datetime(2023, 12, 31, 23, 59)
    assert ok(t, "31/12/2023", date_format="%d/%m/%Y") == dt.datetime(2023, 12, 31)
    assert "has a time of day" in bad(d, "31/12/2023 10:00", date_format="%d/%m/%Y %H:%M")
    assert ok(d, dt.date(2023, 1, 1), date_format="%d/%m/%Y") == dt.date(2023, 1, 1)


# ---- whole rows -----------------------------------------------------------------------------

CUSTOMER = schema(
    field("customer_id", Kind.STRING, column="客户编号"),
    field("age", Kind.INT, nullable=True, low=0, high=120),
    field("arpu", Kind.NUMBER, nullable=True),
    field("network", Kind.ENUM, members=[("in_net", "在网"), ("off_net", "离网")]),
    field("complaints_90d", Kind.INT, default=0, has_default=True),
    key="customer_id",
)


def test_a_csv_file_end_to_end(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("客户编号,age,arpu,network,extra\n"
                 "C1,30,88.5,在网,x\n"
                 "C2,,  ,离网,y\n"
                 "C3,130,abc,在网,z\n"
                 ",40,1,外网,w\n", encoding="utf-8")
    v = RowValidator(CUSTOMER)
    results = [v.convert(r) for r in read_rows(p)]
    assert results[0] == ({"customer_id": "C1", "age": 30, "arpu": 88.5, "network": "in_net", "complaints_90d": 0}, None)
    assert results[1] == ({"customer_id": "C2", "age": None, "arpu": None, "network": "off_net", "complaints_90d": 0}, None)
    assert results[2] == (None, "age = 130 is out of range 0..120; arpu = 'abc' is not a number")
    assert results[3] == (None, "missing required field 'customer_id' (column \"客户编号\"); "
                                "network = '外网' is not one of 在网, 离网")


def test_a_parquet_file_end_to_end(tmp_path):
    p = tmp_path / "c.parquet"
    pq.write_table(pa.table({
        "客户编号": pa.array([1001, 1002], pa.int64()),
        "age": pa.array([30.0, None]),
        "arpu": pa.array([10, 20], pa.int32()),
        "network": ["在网", "离网"],
    }), p)
    v = RowValidator(CUSTOMER)
    assert [v.convert(r) for r in read_rows(p)] == [
        ({"customer_id": "1001", "age": 30, "arpu": 10.0, "network": "in_net", "complaints_90d": 0}, None),
        ({"customer_id": "1002", "age": None, "arpu": 20.0, "network": "off_net", "complaints_90d": 0}, None),
    ]


def test_row_problem_from_the_reader_is_the_reason():
    v = RowValidator(CUSTOMER)
    assert v.convert(RawRow(3, 4, {"客户编号": "C1"}, "x.csv", "has 1 cell but the header has 4 columns")) == (
        None, "has 1 cell but the header has 4 columns")


def test_split_a_batch():
    v = RowValidator(CUSTOMER)
    batch = [RawRow(1, 2, {"客户编号": "C1", "network": "在网"}), RawRow(2, 3, {"客户编号": "C2", "network": "?"})]
    good, rejected = v.split(batch)
    assert [(r.row, rec["customer_id"]) for r, rec in good] == [(1, "C1")]
    assert [(r.row, reason) for r, reason in rejected] == [(2, "network = '?' is not one of 在网, 离网")]


def test_check_columns_reports_absent_required_columns():
    assert check_columns(CUSTOMER, ["客户编号", "network", "age"]) == []
    assert check_columns(CUSTOMER, ["客户编号", "network"]) == []          # age is nullable, complaints has a default
    assert check_columns(CUSTOMER, ["customer_id", "Network"]) == [
        'missing column "客户编号" for required field \'customer_id\'',
        'missing column "network" (a required field); did you mean "Network"?',
        'the file has the columns "customer_id", "Network"',
    ]
    assert check_columns(CUSTOMER, ["客户编号", "network", "network"]) == ['column "network" appears 2 times in the header']
