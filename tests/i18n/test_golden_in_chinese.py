"""The diagnostics' golden files in Chinese: with `--lang zh` every case still reports its code
at its place with the source line and the caret, and every message, help and note of every
case has its Chinese translation (the test names each one missing: a new code's messages
belong in segdsl/i18n/zh.po and en.po)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.diagnostics.codes import CODES
from segdsl.i18n import set_language
from segdsl.i18n.catalog import lookup

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "tests" / "diagnostics" / "cases").glob("SEG*.seg"))
CHECKED = [c for c in CASES if not c.name.startswith("SEG5")]     # SEG5nn are compile-target codes

runner = CliRunner()


@pytest.fixture(autouse=True)
def _english_after():
    yield
    set_language(None)


def _expected(case: Path) -> tuple[str, int, int]:
    head = case.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].split()
    code, place = head[2], head[3]
    line, col = place.rsplit(":", 2)[-2:]
    return code, int(line), int(col)


@pytest.mark.parametrize("case", CHECKED, ids=lambda p: p.stem)
def test_a_case_in_chinese_keeps_its_code_place_and_caret(case):
    code, line, col = _expected(case)
    result = runner.invoke(app, ["--lang", "zh", "check", str(case)])
    assert "Traceback" not in result.output
    sev = CODES[code].severity.value
    assert f"{sev}[{code}]: " in result.output, result.output
    assert f":{line}:{col}" in result.output, result.output
    assert "^" in result.output
    last = result.output.rstrip().splitlines()[-1]
    assert last.startswith(("通过：", "未通过：")), last


def test_every_message_of_every_case_is_translated():
    missing = {}
    for case in CHECKED:
        result = runner.invoke(app, ["check", str(case), "--format", "json"])
        for d in json.loads(result.stdout):
            for text in [d["message"], d["help"], *d["notes"]]:
                if text and lookup(text, "zh") is None:
                    missing.setdefault(d["code"], []).append(text)
    assert not missing, missing


def test_a_case_reads_in_chinese():
    case = ROOT / "tests" / "diagnostics" / "cases" / "SEG103_unknown_enum_member.seg"
    result = runner.invoke(app, ["--lang", "zh", "check", str(case)])
    assert "`in_nett` 不是 `network` 的可选值" in result.output
    assert "= 提示: 你是不是想写 `in_net`？" in result.output
    english = runner.invoke(app, ["--lang", "en", "check", str(case)])
    assert "`in_nett` is not a member of the enum of `network`" in english.output
