"""CSV files of unusual shape: long cells, the wrong delimiter, missing columns.

One cell limit holds on every engine (io/readers.CELL_LIMIT: rows DuckDB
cannot read go to the shared reader, whose limit it is); a cell beyond it is
a data error naming the row and line, not a hint about quotes that may be
wrong. A header that the delimiter does not split, or that lacks a column
the rules need, is answered with what the file does have."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import registry
from segdsl.io.readers import CELL_LIMIT
from tests.helpers import TINY_RULES

runner = CliRunner()


def _apply(tmp_path, data: str, engine: str = "duckdb"):
    (tmp_path / "r.seg").write_text(TINY_RULES, encoding="utf-8")
    (tmp_path / "d.csv").write_text(data, encoding="utf-8")
    r = runner.invoke(app, ["apply", str(tmp_path / "r.seg"), "-i", f"customer={tmp_path / 'd.csv'}",
                            "-o", str(tmp_path / "o.csv"), "--engine", engine])
    assert "Traceback" not in r.output
    return r


@pytest.mark.parametrize("engine", registry.available())
@pytest.mark.parametrize("size", [200_000, 3_000_000])
def test_a_long_cell_in_a_column_the_rules_do_not_read_is_read_by_every_engine(tmp_path, engine, size):
    r = _apply(tmp_path, f"id,v,note\na,1,{'x' * size}\nb,9,short\n", engine)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o.csv").read_text(encoding="utf-8").splitlines()[1:] == ["a,lo", "b,hi"]


@pytest.mark.parametrize("engine", registry.available())
def test_a_cell_over_the_limit_is_a_data_error_at_its_row(tmp_path, engine):
    r = _apply(tmp_path, f"id,v,note\nb,9,short\na,1,{'x' * (CELL_LIMIT + 1)}\n", engine)
    assert r.exit_code == 1
    assert f"row 2 (line 3): a cell is longer than {CELL_LIMIT:,} characters, the longest segdsl reads" in r.output
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("header, other", [('"id";"v"\n"a";1\n', "';'"), ('id\tv\na\t1\n', "tabs"),
                                           ("id;v\na;1\n", "';'"), ("id|v\na|1\n", "'|'")])
def test_a_header_the_delimiter_does_not_split_names_the_delimiter_it_has(tmp_path, header, other):
    r = _apply(tmp_path, header)
    assert r.exit_code == 1
    assert f"the columns seem separated by {other}: give that delimiter" in r.output


def test_a_missing_column_lists_the_columns_the_file_has(tmp_path):
    r = _apply(tmp_path, "ID,value,segment\na,1,x\n")
    assert r.exit_code == 1
    assert 'missing column "id" (a required field); did you mean "ID"?' in r.output
    assert 'the file has the columns "ID", "value", "segment"' in r.output
