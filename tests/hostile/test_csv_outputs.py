"""CSV written for spreadsheets: formula-looking cells (`--csv-safe`) and the output's
encoding (`--output-encoding`), alike on every engine.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel and LibreOffice (`=HYPERLINK(...)` in a customer's name runs when the file is
opened); `--csv-safe` writes a `'` before it in text cells of the output and of the
quarantine file (OWASP's advice), default off. Excel on Chinese Windows reads UTF-8
without a byte-order mark as mojibake: `--output-encoding utf-8-sig` or `gbk`; a value
the encoding cannot hold stops the run naming its row and column, nothing written."""
from __future__ import annotations

import csv
import hashlib

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import registry

runner = CliRunner()
ENGINES = registry.names()
RULES = '''ruleset f
input customer key id {
  id: string
  c: enum { a "=HYPERLINK(\\"x\\")", b "客户" }
  n: int?
}
dimension x first {
  segment s "+cmd" when c = a
  segment t "普通" when c = b
}
'''
DATA = "id,c,n\n=1+1,a,1\n-2,a,2\n@x,b,3\n\tt,b,4\nplain,b,5\nbad,z,6\n"


def _run(tmp_path, engine: str, *flags: str, data: str = DATA):
    rules, inp = tmp_path / "f.seg", tmp_path / "f.csv"
    rules.write_text(RULES, encoding="utf-8")
    inp.write_text(data, encoding="utf-8")
    out, rejected = tmp_path / f"out_{engine}.csv", tmp_path / f"rejected_{engine}.csv"
    r = runner.invoke(app, ["apply", str(rules), "--input", f"customer={inp}", "--output", str(out),
                            "--engine", engine, "--labels", "--keep", "n", "--on-error", "quarantine",
                            "--quarantine", str(rejected), *flags])
    return r, out, rejected


@pytest.mark.parametrize("engine", ENGINES)
def test_csv_safe_quotes_formula_cells_alike_on_every_engine(tmp_path, engine):
    r, out, rejected = _run(tmp_path, engine, "--csv-safe")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["id", "x", "x_label", "n"]
    assert [row[0] for row in rows[1:]] == ["'=1+1", "'-2", "'@x", "'\tt", "plain"]
    assert {row[2] for row in rows[1:]} == {"'+cmd", "普通"}
    assert [row[3] for row in rows[1:]] == ["1", "2", "3", "4", "5"]        # numbers are not formulas
    quarantined = list(csv.DictReader(rejected.open(encoding="utf-8")))
    assert [q["id"] for q in quarantined] == ["bad"] and quarantined[0]["c"] == "z"
    python = _run(tmp_path, "python", "--csv-safe")[1]
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(python.read_bytes()).digest()


@pytest.mark.parametrize("engine", ENGINES)
def test_without_csv_safe_cells_are_written_as_they_are(tmp_path, engine):
    r, out, _ = _run(tmp_path, engine)
    assert r.exit_code == 0, r.output
    assert [row["id"] for row in csv.DictReader(out.open(encoding="utf-8"))] == ["=1+1", "-2", "@x", "\tt", "plain"]


def test_csv_safe_quotes_the_quarantine_file_too(tmp_path):
    r, _, rejected = _run(tmp_path, "python", "--csv-safe", data="id,c,n\n=bad(),z,6\nok,a,1\n")
    assert r.exit_code == 0, r.output
    assert list(csv.DictReader(rejected.open(encoding="utf-8")))[0]["id"] == "'=bad()"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("encoding,bom", [("utf-8-sig", b"\xef\xbb\xbf"), ("gbk", b"")])
def test_the_output_encoding_is_the_one_asked_for(tmp_path, engine, encoding, bom):
    r, out, _ = _run(tmp_path, engine, "--output-encoding", encoding)
    assert r.exit_code == 0, r.output
    raw = out.read_bytes()
    assert raw.startswith(bom + b"id,x,x_label,n\n")
    assert "普通".encode(encoding.replace("-sig", "")) in raw
    assert raw.decode(encoding).splitlines()[-1] == "plain,t,普通,5"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_value_gbk_cannot_hold_names_row_and_column_and_writes_nothing(tmp_path, engine):
    r, out, rejected = _run(tmp_path, engine, "--output-encoding", "gbk", data="id,c,n\nok,a,1\neuro€,b,2\n")
    assert r.exit_code == 1
    assert f"{out}: row 2, column id: 'euro€' cannot be written in gbk" in " ".join(r.output.split())
    assert not out.exists() and not rejected.exists()


def test_an_unknown_output_encoding_is_a_usage_error(tmp_path):
    r, out, _ = _run(tmp_path, "python", "--output-encoding", "no-such-codec")
    assert r.exit_code == 2 and "--output-encoding no-such-codec: unknown encoding" in r.output
    assert not out.exists()


def test_the_summarys_none_row_is_in_the_chosen_language(tmp_path):
    rules, inp = tmp_path / "n.seg", tmp_path / "n.csv"
    rules.write_text("ruleset n\ninput customer key id {\n  id: string\n  c: enum { a, b }\n}\n"
                     "dimension x first {\n  segment s when c = b\n}\n", encoding="utf-8")
    inp.write_text("id,c\n1,a\n", encoding="utf-8")
    zh = runner.invoke(app, ["--lang", "zh", "apply", str(rules), "--input", f"customer={inp}"])
    en = runner.invoke(app, ["--lang", "en", "apply", str(rules), "--input", f"customer={inp}"])
    assert zh.exit_code == en.exit_code == 0
    assert "（无）" in zh.output and "未分入任何客群" in zh.output and "(none)" not in zh.output
    assert "(none)" in en.output and "no segment" in en.output


def test_the_api_takes_the_same_choices(tmp_path):
    import segdsl
    from segdsl.api import DataError, OptionError
    (tmp_path / "f.seg").write_text(RULES, encoding="utf-8")
    (tmp_path / "f.csv").write_text("id,c,n\n=1+1,a,1\nplain,b,2\n", encoding="utf-8")
    rules = segdsl.load(tmp_path / "f.seg")
    out = tmp_path / "out.csv"
    rules.apply(str(tmp_path / "f.csv"), output=str(out), labels=True, csv_safe=True, output_encoding="gbk")
    assert out.read_bytes().decode("gbk").splitlines()[1:] == ["'=1+1,s,'+cmd", "plain,t,普通"]
    (tmp_path / "g.csv").write_text("id,c,n\neuro€,b,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 1, column id: 'euro€' cannot be written in gbk"):
        rules.apply(str(tmp_path / "g.csv"), output=str(tmp_path / "g_out.csv"), output_encoding="gbk")
    assert not (tmp_path / "g_out.csv").exists()
    with pytest.raises(OptionError, match="output_encoding='nope'"):
        rules.apply(str(tmp_path / "f.csv"), output=str(out), output_encoding="nope")
