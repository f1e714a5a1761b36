"""A CSV row that cannot be read as a row (the wrong number of cells, a misplaced quote)
keeps its text in the quarantine file's `_raw` column, the same bytes on every engine,
so the analyst can repair it; readable bad rows leave `_raw` empty."""
from __future__ import annotations

import csv
import hashlib

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.engines import registry

runner = CliRunner()
ENGINES = registry.names()
RULES = "ruleset e\ninput customer key id {\n  id: string\n  c: enum { a, b }\n  n: int?\n}\n" \
        "dimension x first {\n  segment s when c = a\n  otherwise o\n}\n"
DATA = ('id,c,n\n1,a,1\n2,a,2,extra,"x\ny"\n3,a\n4,z,4\n5,"a"x,1\n6,a,1\r\n')


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unreadable_csv_row_keeps_its_text_alike_on_every_engine(tmp_path, engine):
    (tmp_path / "e.seg").write_text(RULES, encoding="utf-8")
    (tmp_path / "e.csv").write_bytes(DATA.encode("utf-8"))
    digests = {}
    for e in dict.fromkeys(("python", engine)):
        q = tmp_path / f"q_{e}.csv"
        r = runner.invoke(app, ["apply", str(tmp_path / "e.seg"), "--input", f"customer={tmp_path / 'e.csv'}",
                                "--output", str(tmp_path / f"o_{e}.csv"), "--engine", e,
                                "--on-error", "quarantine", "--quarantine", str(q)])
        assert r.exit_code == 0, r.output
        digests[e] = hashlib.sha256(q.read_bytes()).hexdigest()
    assert digests[engine] == digests["python"]
    rows = list(csv.DictReader((tmp_path / f"q_{engine}.csv").open(encoding="utf-8", newline="")))
    assert [(r["_row"], r["_raw"]) for r in rows] == [
        ("2", '2,a,2,extra,"x\ny"'), ("3", "3,a"), ("4", ""), ("5", '5,"a"x,1')]
    assert list(rows[0])[-1] == "_raw"
