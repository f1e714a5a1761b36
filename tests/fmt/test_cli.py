"""`segdsl fmt` through the real command line: in place, --check, --diff, files it refuses."""
from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from segdsl.cli import app

runner = CliRunner()
MESSY = 'ruleset t\ninput c { a:int }  # the input\ndimension d first { segment s when a>1 }\n'
TIDY = 'ruleset t\ninput c {\n  a: int\n}  # the input\ndimension d first {\n  segment s when a > 1\n}\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_fmt_rewrites_in_place_and_then_has_nothing_to_do(tmp_path):
    p = write(tmp_path, "r.seg", MESSY)
    r = runner.invoke(app, ["fmt", str(p)])
    assert r.exit_code == 0, r.output
    assert p.read_text(encoding="utf-8") == TIDY
    assert f"reformatted {p}" in r.stderr and "1 file reformatted, 0 unchanged" in r.stderr
    r = runner.invoke(app, ["fmt", "--check", str(p)])
    assert r.exit_code == 0 and "0 files would be reformatted, 1 unchanged" in r.stderr
    assert not list(tmp_path.glob(".*"))            # no temporary file left beside it


def test_check_exits_1_and_writes_nothing(tmp_path):
    p = write(tmp_path, "r.seg", MESSY)
    q = write(tmp_path, "ok.seg", TIDY)
    r = runner.invoke(app, ["fmt", "--check", str(p), str(q)])
    assert r.exit_code == 1
    assert f"would reformat {p}" in r.stderr and "1 file would be reformatted, 1 unchanged" in r.stderr
    assert p.read_text(encoding="utf-8") == MESSY


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path):
    p = write(tmp_path, "r.seg", MESSY)
    r = runner.invoke(app, ["fmt", "--diff", str(p)])
    assert r.exit_code == 0
    assert f"--- {p}\n+++ {p} (formatted)\n" in r.stdout
    assert "-input c { a:int }  # the input\n" in r.stdout and "+  segment s when a > 1\n" in r.stdout
    assert p.read_text(encoding="utf-8") == MESSY


def test_a_folder_stands_for_its_rule_files(tmp_path):
    write(tmp_path, "a.seg", MESSY)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "b.seg", MESSY)
    write(tmp_path, "notes.txt", "not rules")
    r = runner.invoke(app, ["fmt", str(tmp_path)])
    assert r.exit_code == 0 and "2 files reformatted" in r.stderr
    assert (tmp_path / "sub" / "b.seg").read_text(encoding="utf-8") == TIDY


def test_a_syntax_error_is_shown_and_the_file_left_untouched(tmp_path):
    bad = "ruleset t\nlet a = (1 +\n"
    p = write(tmp_path, "bad.seg", bad)
    r = runner.invoke(app, ["fmt", str(p)])
    assert r.exit_code == 1
    assert "error[SEG001]" in r.stderr and f"{p}:2:9" in r.stderr and "1 not formatted" in r.stderr
    assert "Traceback" not in r.output
    assert p.read_text(encoding="utf-8") == bad


def test_a_missing_file_is_a_diagnostic_not_a_traceback(tmp_path):
    r = runner.invoke(app, ["fmt", str(tmp_path / "nope.seg")])
    assert r.exit_code == 1 and "error[SEG008]" in r.stderr and "no such file" in r.stderr


def test_a_byte_order_mark_and_windows_line_ends_are_not_kept(tmp_path):
    p = tmp_path / "notepad.seg"
    p.write_bytes(("\ufeff" + MESSY.replace("\n", "\r\n")).encode("utf-8"))
    r = runner.invoke(app, ["fmt", str(p)])
    assert r.exit_code == 0, r.output
    assert p.read_bytes() == TIDY.encode("utf-8")
    assert runner.invoke(app, ["check", str(p)]).exit_code == 0


def test_a_dash_formats_standard_input_to_standard_output():
    r = runner.invoke(app, ["fmt", "-"], input=MESSY)
    assert r.exit_code == 0 and r.stdout == TIDY
    label = MESSY.replace("a:int", 'a:int ":smile: [b]x[/b]"')          # printed as it is, never as markup
    assert runner.invoke(app, ["fmt", "-"], input=label).stdout == TIDY.replace("a: int", 'a: int ":smile: [b]x[/b]"')
    r = runner.invoke(app, ["fmt", "--check", "-"], input=MESSY)
    assert r.exit_code == 1 and r.stdout == "" and "would reformat <stdin>" in r.stderr
    r = runner.invoke(app, ["fmt", "-"], input="ruleset t\nlet a = (1 +\n")
    assert r.exit_code == 1 and r.stdout == "" and "<stdin>:2:9" in r.stderr
