"""Rule text that attacks the terminal or the reader, and `test --format json` on broken files.

* Escape sequences and other controls in labels, test names, values and paths are
  printed visibly by every command that prints rule text (diagnostics, `test`,
  `apply`'s summary), never raw.
* NUL inside text is SEG005 at the character; a text-direction control is a SEG405
  warning at the character, wherever it is.
* `test --format json` always carries the diagnostics, also of a file whose rules
  do not check.
"""
from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from segdsl.check.frontend import check_file
from segdsl.cli import app

runner = CliRunner()

RULES = '''ruleset t "{text}"
input customer key id {{
  id: string
  a: int
  s: string? from "{text}"
}}
dimension v "{text}" first {{
  segment hi "{text}" when a > 1 and s = "{text}" {{ note: "{text}" }}
  otherwise lo "{text}"
}}
test "{text}" {{
  given {{ id: "1", a: 5, s: "{text}" }}
  expect v = lo
}}
'''

ATTACKS = {
    "csi-colour": "\x1b[31mred\x1b[0m",
    "osc-title": "\x1b]0;pwned\x07",
    "clear-screen": "\x1b[2J\x1b[H",
    "c1-csi": "\x9b31m",
    "backspace": "abc\x08\x08\x08xyz",
    "carriage-return": "ok\rFAKE",
    "vertical-tab": "a\x0bb",
    "delete": "a\x7fb",
    "rich-markup": "[/bold][red]x",
}
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _no_raw_controls(text: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})
    assert not bad, f"raw control characters reach the terminal: {bad}"


@pytest.mark.parametrize("name", ATTACKS)
def test_test_output_shows_controls_in_names_and_values_visibly(tmp_path, name):
    f = tmp_path / "rules.seg"
    f.write_text(RULES.format(text=ATTACKS[name]), encoding="utf-8")
    r = runner.invoke(app, ["test", str(f)])
    assert r.exit_code == 1 and "FAIL" in r.output and "Traceback" not in r.output, r.output
    _no_raw_controls(r.output)


@pytest.mark.parametrize("name", ATTACKS)
def test_apply_summary_shows_controls_in_labels_visibly(tmp_path, name):
    f = tmp_path / "rules.seg"
    f.write_text(RULES.format(text=ATTACKS[name]), encoding="utf-8")
    data = tmp_path / "c.csv"
    data.write_text("id,a\n1,5\n2,0\n", encoding="utf-8")
    r = runner.invoke(app, ["apply", str(f), "-i", f"customer={data}", "--engine", "python"])
    assert r.exit_code == 0 and "customers written" in r.output, r.output
    _no_raw_controls(r.output)


@pytest.mark.parametrize("name", ATTACKS)
def test_diagnostics_show_controls_in_source_messages_and_paths_visibly(tmp_path, name):
    text = ATTACKS[name]
    folder = tmp_path / ("d" + text.replace("/", "_").replace("\x00", ""))
    folder.mkdir()
    f = folder / "rules.seg"
    # a table cell that is not a constant is quoted in the message; the source line is shown too
    f.write_text(RULES.format(text=text).replace("expect v = lo\n}", "expect v = lo\n}\n"
                 f'test "t2" table {{\n  a | expect v\n  "{text}" x | hi\n}}'), encoding="utf-8")
    r = runner.invoke(app, ["check", str(f)])
    assert r.exit_code == 1 and "error[" in r.output, r.output
    _no_raw_controls(r.output)


PLACES = {
    "label": 'segment hi "{c}" when a > 1',
    "condition-text": 'segment hi when s = "x{c}y"',
    "attribute": 'segment hi when a > 1 {{ note: "{c}" }}',
    "otherwise-label": 'segment hi when a > 1\n  otherwise lo "{c}"',
}
TEMPLATE = ('ruleset t\ninput customer key id {{\n  id: string\n  a: int\n  s: string?\n}}\n'
            'dimension v first {{\n  {line}\n}}\n')


@pytest.mark.parametrize("place", PLACES)
def test_nul_inside_text_is_refused_at_the_character(place):
    text = TEMPLATE.format(line=PLACES[place].format(c="\x00"))
    result = check_file("nul.seg", text)
    nul = [d for d in result.diagnostics if d.code == "SEG005"]
    assert nul and not result.ok, result.diagnostics
    line = text.split("\n")[nul[0].span.line - 1]
    assert line[nul[0].span.col - 1] == "\x00"


def test_nul_in_a_test_name_and_a_table_cell_is_refused():
    base = TEMPLATE.format(line='segment hi when a > 1\n  otherwise lo')
    for extra in ('test "a\x00" {\n  given { id: "1", a: 1 }\n  expect v = lo\n}\n',
                  'test "t" table {\n  s | expect v\n  "a\x00" | lo\n}\n'):
        result = check_file("nul.seg", base + extra)
        assert any(d.code == "SEG005" for d in result.diagnostics), result.diagnostics


DIRECTION = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("ch", DIRECTION, ids=[f"U+{ord(c):04X}" for c in DIRECTION])
@pytest.mark.parametrize("place", ["label", "condition-text", "comment"])
def test_direction_controls_are_a_warning_at_the_character(ch, place):
    line = (PLACES[place] if place in PLACES else "segment hi when a > 1 # {c} note").format(c=ch)
    text = TEMPLATE.format(line=line + "\n  otherwise lo")
    result = check_file("bidi.seg", text)
    assert result.ok, result.diagnostics
    warned = [d for d in result.diagnostics if d.code == "SEG405"]
    assert len(warned) == 1 and f"U+{ord(ch):04X}" in warned[0].message
    sp = warned[0].span
    assert text.split("\n")[sp.line - 1][sp.col - 1] == ch


@pytest.mark.parametrize("ch", DIRECTION[:2], ids=["U+202A", "U+202B"])
def test_a_direction_control_in_a_name_is_an_error(ch):
    result = check_file("bidi.seg", TEMPLATE.format(line=f"segment h{ch}i when a > 1"))
    assert any(d.code == "SEG005" for d in result.diagnostics) and not result.ok


BROKEN = {
    "syntax": ("dimension v first {\n  segment hi when\n}\n", "SEG001"),
    "type": ('dimension v first {\n  segment hi when a > "x"\n  otherwise lo\n}\n', "SEG201"),
    "unknown-name": ("dimension v first {\n  segment hi when b > 1\n  otherwise lo\n}\n", "SEG102"),
    "import": ('import "missing.seg"\ndimension v first {\n  otherwise lo\n}\n', "SEG108"),
}
HEAD = 'ruleset t\ninput customer key id {\n  id: string\n  a: int\n}\n'


@pytest.mark.parametrize("kind", BROKEN)
def test_test_json_carries_the_diagnostics_of_a_file_that_does_not_check(tmp_path, kind):
    body, code = BROKEN[kind]
    bad = tmp_path / "bad.seg"
    bad.write_text(HEAD + body, encoding="utf-8")
    good = tmp_path / "good.seg"
    good.write_text(HEAD + "dimension v first {\n  segment hi when a > 1\n}\n"
                    'test "t" {\n  given { id: "1", a: 5 }\n  expect v = hi\n}\n', encoding="utf-8")
    r = runner.invoke(app, ["test", str(bad), str(good), "--format", "json"])
    assert r.exit_code == 1
    entries = json.loads(r.stdout)
    assert [e["file"] for e in entries] == [str(bad), str(good)]
    broken, fine = entries
    assert broken["ok"] is False and code in [d["code"] for d in broken["diagnostics"]]
    assert all(d["file"] and d["line"] for d in broken["diagnostics"] if d["code"] == code)
    assert fine["ok"] is True and fine["passed"] == 1
    assert [d["code"] for d in fine["diagnostics"]] == ["SEG401"]     # warnings are carried too
    assert "error[" not in r.stdout


def test_test_json_of_a_missing_file_names_it():
    r = runner.invoke(app, ["test", "no_such_rules.seg", "--format", "json"])
    assert r.exit_code == 1
    [entry] = json.loads(r.stdout)
    assert entry["ok"] is False and [d["code"] for d in entry["diagnostics"]] == ["SEG008"]


BOM = "\ufeff"
CLEAN = HEAD + "dimension v first {\n  segment hi when a > 1\n  otherwise lo\n}\n"


@pytest.mark.parametrize("where", ["main", "import"])
def test_a_byte_order_mark_from_notepad_is_not_part_of_the_text(tmp_path, where):
    main = tmp_path / "main.seg"
    if where == "main":
        main.write_text(BOM + CLEAN, encoding="utf-8")
    else:
        (tmp_path / "lib.seg").write_text(BOM + "let lib = 1\n", encoding="utf-8")
        main.write_text(CLEAN.replace("ruleset t\n", 'ruleset t\nimport "lib.seg"\n'), encoding="utf-8")
    result = check_file(main)
    assert result.ok and not [d for d in result.diagnostics if d.code != "SEG403"], result.diagnostics


def test_columns_on_the_first_line_do_not_count_the_byte_order_mark(tmp_path):
    main = tmp_path / "main.seg"
    main.write_text(BOM + "ruleset t x\n" + CLEAN.split("\n", 1)[1], encoding="utf-8")
    [d] = check_file(main).diagnostics
    assert (d.span.line, d.span.col) == (1, 11), d      # `x`, as an editor counts


JSON_ATTACKS = {**ATTACKS, "direction": "abc\u202edcba", "c1-only": "\x85\x9b"}


@pytest.mark.parametrize("name", JSON_ATTACKS)
def test_json_output_escapes_controls_and_keeps_the_value(tmp_path, name):
    text = JSON_ATTACKS[name]
    f = tmp_path / "rules.seg"
    f.write_text(RULES.format(text=text), encoding="utf-8")
    tested = runner.invoke(app, ["test", str(f), "--format", "json"])
    _no_raw_controls(tested.stdout)
    [entry] = json.loads(tested.stdout)
    assert entry["failures"][0]["test"] == text
    f.write_text(RULES.format(text=text).replace("expect v = lo\n}", "expect v = lo\n}\n"
                 f'test "t2" table {{\n  a | expect v\n  "{text}" x | hi\n}}'), encoding="utf-8")
    checked = runner.invoke(app, ["check", str(f), "--format", "json"])
    _no_raw_controls(checked.stdout)
    assert any(text in d["message"] for d in json.loads(checked.stdout))
