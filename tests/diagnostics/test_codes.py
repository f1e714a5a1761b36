"""One broken rule file per diagnostic code, run through the real CLI.

Each file in cases/ named SEGnnn_*.seg starts with

    # expect: SEGnnn LINE:COL          (or SEGnnn other/file.seg:LINE:COL)
    # message: words the message must contain     (optional)
    # help: words the help must contain           (optional)

and `segdsl check` must report that code at that place, in JSON and in text.
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.diagnostics import render
from segdsl.diagnostics.codes import CODES, Severity
from tests.helpers import TERMINAL_NAMES

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
DOCS = HERE.parent.parent / "docs" / "diagnostics.md"
CASE_FILES = sorted(CASES.glob("SEG*.seg"))
EXPECT = re.compile(r"# expect: (SEG\d{3}) (?:(\S+):)?(\d+):(\d+)\s*$")

runner = CliRunner()


def _header(path: Path) -> dict:
    lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
    m = EXPECT.fullmatch(lines[0].rstrip("\r"))
    assert m, f"{path.name}: the first line must be `# expect: SEGnnn LINE:COL`"
    code, other, line, col = m.groups()
    where = (path.parent / other).resolve() if other else path.resolve()
    out = {"code": code, "file": where, "line": int(line), "column": int(col), "message": [], "help": []}
    for ln in lines[1:]:
        mm = re.match(r"# (message|help): (.*\S)\s*$", ln)
        if not mm:
            break
        out[mm.group(1)].append(mm.group(2))
    return out


def _run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def _json(result) -> list[dict]:
    return json.loads(result.stdout)


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def _case_id(p: Path) -> str:
    return p.stem


def _compile_target_code(code: str) -> bool:
    """SEG5nn: what a compile target cannot express, reported by `segdsl compile --target sql`."""
    return code.startswith("SEG5")


def _command(case: Path, code: str) -> list[str]:
    """The command that reports the case's code."""
    return ["compile", str(case), "--target", "sql"] if _compile_target_code(code) else ["check", str(case)]


def _compile_diagnostics(case: Path) -> list[dict]:
    """The diagnostics of compiling the case to SQL, as `check --format json` would give them."""
    from segdsl.backends.sql import NotSupported, to_sql
    from segdsl.check.frontend import check_file
    from segdsl.diagnostics import render
    from segdsl.service.params import resolve_params
    checked = check_file(case)
    assert checked.ok, checked.diagnostics      # a compile-target case checks cleanly
    rs = checked.ruleset
    try:
        to_sql(rs, resolve_params(rs))
    except NotSupported as exc:
        return json.loads(render.json_text(exc.diagnostics))
    return []


@pytest.mark.parametrize("case", CASE_FILES, ids=_case_id)
def test_case_reports_its_code_at_its_place(case: Path):
    want = _header(case)
    assert case.name.startswith(want["code"] + "_"), "the file name starts with the expected code"
    if _compile_target_code(want["code"]):
        result = _run(*_command(case, want["code"]))
        diags = _compile_diagnostics(case)
    else:
        result = _run("check", str(case), "--format", "json")
        diags = _json(result)
    found = [d for d in diags if d["code"] == want["code"]]
    got = [(d["code"], d["file"], d["line"], d["column"]) for d in diags]
    assert found, f"{want['code']} not reported; got {got}"
    at = [d for d in found if Path(d["file"]).resolve() == want["file"]
          and (d["line"], d["column"]) == (want["line"], want["column"])]
    assert at, f"{want['code']} expected at {want['file'].name}:{want['line']}:{want['column']}; got {got}"
    d = at[0]
    for words in want["message"]:
        assert words in d["message"], f"message {d['message']!r} lacks {words!r}"
    for words in want["help"]:
        assert d["help"] and words in d["help"], f"help {d['help']!r} lacks {words!r}"
    for field in ("message", "help"):
        text = d[field] or ""
        for terminal in ("__ANON", "RBRACE", "LBRACE", "RPAR", "LPAR", "LSQB", "RSQB", "COMMA", "COLON",
                         "$END", "COMP_OP", "TABLE_TEXT", "NULLABLE", "PERCENT"):
            assert terminal not in text, f"terminal name {terminal} in {field}: {text!r}"

    severity = CODES[want["code"]].severity
    errors = [x for x in diags if x["severity"] == "error"]
    if severity is Severity.ERROR:
        assert result.exit_code == 1
    else:
        assert not errors, f"a warning case must have no errors; got {errors}"
        assert result.exit_code == 0
        # --strict fails on a warning; a note never fails a check
        assert _run("check", str(case), "--strict").exit_code == (1 if severity is Severity.WARNING else 0)


@pytest.mark.parametrize("case", CASE_FILES, ids=_case_id)
def test_text_format_shows_code_place_source_and_caret(case: Path):
    want = _header(case)
    result = _run(*_command(case, want["code"]))
    lines = result.output.split("\n")
    sev = CODES[want["code"]].severity.value
    head = f"{sev}[{want['code']}]:"
    for i, ln in enumerate(lines):
        if not ln.startswith(head) or i + 1 >= len(lines):
            continue
        m = re.fullmatch(r"  --> (.+):(\d+):(\d+)", lines[i + 1])
        if m and Path(m.group(1)).resolve() == want["file"] \
                and (int(m.group(2)), int(m.group(3))) == (want["line"], want["column"]):
            break
    else:
        pytest.fail(f"no `{head}` block at {want['line']}:{want['column']} in:\n{result.output}")
    raw = want["file"].read_bytes().decode("utf-8", errors="replace").split("\n")[want["line"] - 1]
    # control characters are shown as their pictures, direction controls as <U+202E>
    source = render.visible(raw, tabs=True)
    num = str(want["line"])
    assert lines[i + 2] == " " * len(num) + " |"
    assert lines[i + 3] == f"{num} | {source}".rstrip("\r") or lines[i + 3] == f"{num} | {source}"
    caret = lines[i + 4]
    prefix = " " * len(num) + " | "
    assert caret.startswith(prefix) and "^" in caret, caret
    lead = len(caret) - len(prefix) - len(caret[len(prefix):].lstrip(" "))
    assert lead == _width(render.visible(raw[: want["column"] - 1], tabs=True)), \
        "the caret is under the reported column"
    assert set(caret[len(prefix):].strip()) == {"^"}
    assert result.exit_code == (1 if sev == "error" else 0)


def test_every_code_has_a_case_file():
    covered = {p.name[:6] for p in CASE_FILES}
    missing = sorted(set(CODES) - covered)
    assert not missing, f"codes without a broken rule file in {CASES}: {missing}"
    unknown = sorted(covered - set(CODES))
    assert not unknown, f"case files for codes that are not in CODES: {unknown}"


def test_every_code_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    missing = [c for c in CODES if c not in text]
    assert not missing, f"docs/diagnostics.md does not mention {missing}"
    for c in CODES.values():
        assert re.search(rf"\|\s*{c.code}\s*\|\s*{c.severity.value}\s*\|", text), \
            f"docs/diagnostics.md: the table row for {c.code} must give its severity ({c.severity.value})"


def test_codes_table_is_well_formed():
    for key, c in CODES.items():
        assert key == c.code and re.fullmatch(r"SEG\d{3}", key)
        assert c.title and c.title == c.title.strip()
        assert (c.severity in (Severity.WARNING, Severity.NOTE)) == key.startswith("SEG4"), \
            "SEG4xx are the warnings (and the notes)"


SEVERAL_ERRORS = """\
ruleset shop
input customer key id {
  id: string
  arpu: number?
  city: string
  network: enum { in_net "在网", off_net "离网" }
}
let yearly = arpu * "12"
let place = city + 1
dimension value first {
  segment high when arpuu > 100
  segment odd when network = in_nett
  otherwise rest
}
dimension status first {
  segment active when network = "in_net"
  otherwise other
}
"""


def test_several_independent_errors_are_all_reported(tmp_path: Path):
    f = tmp_path / "several.seg"
    f.write_text(SEVERAL_ERRORS, encoding="utf-8")
    result = _run("check", str(f), "--format", "json")
    got = {(d["code"], d["line"]) for d in _json(result)}
    assert {("SEG202", 8), ("SEG202", 9), ("SEG102", 11), ("SEG103", 12), ("SEG201", 16)} <= got, got
    assert result.exit_code == 1
    text = _run("check", str(f)).output
    assert text.count("error[") >= 5
    assert "5 errors" in text


def test_missing_file_is_seg008(tmp_path: Path):
    missing = tmp_path / "no_such_rules.seg"
    result = _run("check", str(missing), "--format", "json")
    assert result.exit_code == 1
    diags = _json(result)
    assert [d["code"] for d in diags] == ["SEG008"]
    assert "no_such_rules.seg" in diags[0]["message"]
    text = _run("check", str(missing))
    assert text.exit_code == 1
    assert "error[SEG008]:" in text.output


def test_json_output_fields():
    case = CASES / "SEG102_unknown_field.seg"
    result = _run("check", str(case), "--format", "json")
    diags = _json(result)
    assert isinstance(diags, list) and diags
    for d in diags:
        for key in ("code", "severity", "message", "help", "notes", "file", "line", "column",
                    "end_line", "end_column"):
            assert key in d, key
        assert d["code"] in CODES
        assert d["severity"] in ("error", "warning")
        assert isinstance(d["line"], int) and isinstance(d["column"], int)
    d = diags[0]
    assert (d["code"], d["line"], d["column"], d["help"]) == ("SEG102", 10, 21, "did you mean `arpu`?")
    assert (d["end_line"], d["end_column"]) == (10, 26)
    assert Path(d["file"]).resolve() == case.resolve()


def test_json_output_of_a_clean_file_is_an_empty_list(tmp_path: Path):
    f = tmp_path / "ok.seg"
    f.write_text('ruleset ok\ninput customer key id {\n  id: string\n  age: int\n}\n'
                 'dimension life first {\n  segment senior "老年" when age >= 60\n  otherwise other\n}\n',
                 encoding="utf-8")
    result = _run("check", str(f), "--format", "json")
    assert result.exit_code == 0
    assert _json(result) == []


def test_unknown_option_is_usage_error():
    result = runner.invoke(app, ["check", "--no-such-option", str(CASES / "SEG102_unknown_field.seg")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_caret_under_chinese_text(tmp_path: Path):
    """CJK characters take two terminal columns; the caret must still point at the name."""
    f = tmp_path / "cjk.seg"
    f.write_text('ruleset 测试 "客户"\ninput customer key id {\n  id: string\n  客户等级: int\n}\n'
                 'dimension 等级 "等级" first {\n  segment 贵宾 "贵宾" when 客户级别 >= 3\n  otherwise 其他\n}\n',
                 encoding="utf-8")
    out = _run("check", str(f)).output.split("\n")
    i = next(i for i, ln in enumerate(out) if ln.startswith("error[SEG102]:"))
    src, caret = out[i + 3], out[i + 4]
    assert src == '7 |   segment 贵宾 "贵宾" when 客户级别 >= 3'
    start = caret.index("^")
    assert _width(src[:src.index("客户级别")]) == start
    assert caret[start:] == "^" * 8


def test_tabs_keep_the_caret_aligned(tmp_path: Path):
    f = tmp_path / "tabs.seg"
    f.write_text('ruleset t\ninput customer key id {\n\tid: string\n\tarpu: number?\n}\n'
                 'dimension value first {\n\tsegment high when\tarpuu > 1\n\totherwise rest\n}\n',
                 encoding="utf-8")
    out = _run("check", str(f)).output.split("\n")
    i = next(i for i, ln in enumerate(out) if ln.startswith("error[SEG102]:"))
    src, caret = out[i + 3], out[i + 4]
    assert "\t" not in src
    assert caret.index("^") == src.index("arpuu")


RICH_RULESET = """\
ruleset telecom "电信客户细分" version "1.0"
param as_of: date = 2026-11-01
input customer key customer_id {
  customer_id: string from "客户编号"
  age: int? in 0..120
  arpu: number? "月均消费(元)"
  network: enum { in_net "在网", off_net "离网", former "历史" }
  last_recharge: date?
  complaints_90d: int = 0
}
related calls of customer by customer_id {
  customer_id: string
  minutes: int
  at: datetime
}
let days_idle = days_between(last_recharge, as_of)
let arpu_pct "ARPU 百分位" = percent_rank(arpu)
let talk = sum(calls.minutes where calls.at >= as_of - 30 days)
dimension value "价值" first {
  segment top "高价值" when arpu_pct >= 95% { channel: "vip", priority: 1 }
  segment mid when arpu_pct between 40% and 95% and not (talk < 10)
  otherwise low "其他"
}
dimension tags all {
  segment senior when age >= 60
  segment quiet when network in [in_net, former] and days_idle > 60
}
test "top" with arpu_pct = 96% {
  given { customer_id: "t1", network: in_net }
  given calls [ { customer_id: "t1", minutes: 5, at: 2026-10-01T10:00:00 } ]
  expect value = top
  expect tags = []
}
test "table" table {
  arpu_pct | expect value
  99%      | top
  null     | low
}
"""



def _mutations(text: str):
    for pos in range(0, len(text), 9):
        yield text[:pos]                                   # the file ends early
    for pos in range(0, len(text), 7):
        yield text[:pos] + text[pos + 1:]                  # a character missing
    for pos in range(3, len(text), 53):
        for extra in ("，", "（", "“", "@", "==", "}", "{", "(", '"', "when", "and", "1", ":", "\t"):
            yield text[:pos] + extra + text[pos:]          # something extra


def test_broken_files_never_crash_and_speak_plainly():
    from segdsl.diagnostics import render
    from segdsl.check.frontend import check_file
    assert check_file("rich.seg", RICH_RULESET).ok
    for text in _mutations(RICH_RULESET):
        result = check_file("m.seg", text)          # must not raise
        render.text(result.diagnostics, result.texts)
        for d in result.diagnostics:
            assert d.code in CODES
            for words in (d.message, d.help or ""):
                assert not TERMINAL_NAMES.search(words), f"{d.code}: {words!r} for\n{text}"
            if d.span is not None and d.code.startswith("SEG00"):
                assert d.span.line >= 1 and d.span.col >= 1


def test_control_characters_in_the_source_line_are_shown_as_pictures(tmp_path):
    from segdsl.diagnostics import render
    from segdsl.check.frontend import check_file
    p = tmp_path / "nul.seg"
    p.write_text('ruleset t\nimport "a\x00b"\n', encoding="utf-8")
    result = check_file(p)
    out = render.text(result.diagnostics, result.texts)
    assert "\x00" not in out and 'import "a\u2400b"' in out
    src, caret = [x for x in out.splitlines() if x.startswith(("2 |", "  |")) and x.strip() != "|"][:2]
    assert caret.index("^") == src.index("import")
