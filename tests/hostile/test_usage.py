"""Usage errors, never tracebacks: every option that names a file to write, given a place
that cannot hold a regular file (a directory, a device, a folder under a file, a suffix
that names no format), and options with values no run can use (an encoding that is not
one, a batch size beyond the cap, an input given twice). Each is exit 2 with a message
naming the flag (OptionError naming the parameter in the API), and nothing is written:
the check runs before anything is read, so the summary can never fail after the output
was committed."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl import api
from segdsl.cli import app
from segdsl.engines import registry
from segdsl.service.app import MAX_BATCH_SIZE
from tests.helpers import TINY_RULES

runner = CliRunner()

RULES = TINY_RULES
DATA = "id,v\na,1\nb,9\n"


@pytest.fixture
def place(tmp_path, monkeypatch):
    (tmp_path / "r.seg").write_text(RULES, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    (tmp_path / "file.txt").write_text("not a folder", encoding="utf-8")
    (tmp_path / "folder.csv").mkdir()
    os.mkfifo(tmp_path / "pipe.csv")
    os.symlink(tmp_path / "folder.csv", tmp_path / "dirlink.csv")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"<not a regular file>")
            for p in sorted(root.rglob("*"))}


# Every option that names a file to write: (command line before the target, flag, after it).
TARGET_OPTIONS = {
    "apply --output": (["apply", "r.seg", "-i", "d.csv", "-o"], "--output", []),
    "apply --quarantine": (["apply", "r.seg", "-i", "d.csv", "--on-error", "quarantine", "--quarantine"],
                           "--quarantine", []),
    "apply --summary-json": (["apply", "r.seg", "-i", "d.csv", "--summary-json"], "--summary-json", []),
    "stats --output": (["stats", "r.seg", "-i", "d.csv", "-o"], "--output", []),
    "compile --output": (["compile", "r.seg", "-o"], "--output", []),
    "compile sql --output": (["compile", "r.seg", "--target", "sql", "-o"], "--output", []),
}

# Places no regular file can be written to, and what the message says.
BAD_TARGETS = {
    "a directory": ("folder.csv", "is a directory"),
    "a device": (os.devnull, "is not a regular file"),
    "under a file": ("file.txt/out.csv", "file.txt is a file, not a folder"),
    "deep under a file": ("file.txt/a/b/out.csv", "file.txt is a file, not a folder"),
    "a name too long for its temporary file": ("n" * 240 + ".csv", "the file name is too long"),
    "a pipe": ("pipe.csv", "is not a regular file"),
    "a symlink to a directory": ("dirlink.csv", "is a directory"),
    "the current directory": ("", "is a directory"),
}


def _usage_error(place, args, flag, words):
    before = snapshot(place)
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert f"error: {flag} " in r.output and words in r.output, r.output
    assert snapshot(place) == before


@pytest.mark.parametrize("target", list(BAD_TARGETS))
@pytest.mark.parametrize("option", list(TARGET_OPTIONS))
def test_every_output_option_refuses_a_place_for_no_regular_file(place, option, target):
    head, flag, tail = TARGET_OPTIONS[option]
    path, words = BAD_TARGETS[target]
    _usage_error(place, [*head, path, *tail], flag, words)


@pytest.mark.parametrize("path", ["out.xyz", "out", "out.csv.bak", "folder.csv/"])
def test_output_suffix_must_name_a_format(place, path):
    words = "is a directory" if path.endswith("/") else "suffix"
    _usage_error(place, ["apply", "r.seg", "-i", "d.csv", "-o", path], "--output", words)


@pytest.mark.parametrize("engine", registry.available())
@pytest.mark.parametrize("option, value, words", [
    ("--encoding", "no-such-codec", "unknown encoding"),
    ("--encoding", "hex", "not a text encoding"),
    ("--encoding", "rot13", "not a text encoding"),
    ("--batch-size", str(MAX_BATCH_SIZE + 1), f"at most {MAX_BATCH_SIZE:,}"),
    ("--batch-size", "99999999999999999999999", f"at most {MAX_BATCH_SIZE:,}"),
])
def test_option_values_no_run_can_use(place, engine, option, value, words):
    _usage_error(place, ["apply", "r.seg", "-i", "d.csv", "--engine", engine, "-o", "o.csv", option, value],
                 option, words)


@pytest.mark.parametrize("engine", registry.available())
@pytest.mark.parametrize("encoding", ["utf-16", "UTF-32", "utf_16"])
def test_a_byte_order_encoding_on_a_file_without_a_bom_is_a_data_error(place, engine, encoding):
    before = snapshot(place)
    r = runner.invoke(app, ["apply", "r.seg", "-i", "d.csv", "--engine", engine, "-o", "o.csv",
                            "--encoding", encoding])
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output and not isinstance(r.exception, Exception)
    assert "d.csv" in r.output and ("byte-order mark" in r.output or "not valid" in r.output), r.output
    assert snapshot(place) == before


def test_utf16_with_its_byte_order_reads(place):
    (place / "d16.csv").write_bytes(DATA.encode("utf-16-le"))
    r = runner.invoke(app, ["apply", "r.seg", "-i", "d16.csv", "--encoding", "utf-16-le", "-o", "o.csv"])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("inputs", [
    ["-i", "customer=d.csv", "-i", "customer=other.csv"],
    ["-i", "customer=d.csv", "-i", "customer=d.csv"],
    ["-i", "d.csv", "-i", "customer=d.csv"],
    ["-i", "customer=*.csv", "-i", "customer=d.csv"],
])
def test_an_input_given_twice_is_refused(place, inputs):
    (place / "other.csv").write_text(DATA, encoding="utf-8")
    for command in (["apply", "r.seg", *inputs, "-o", "o.csv"], ["stats", "r.seg", *inputs, "-o", "s.json"]):
        _usage_error(place, command, "--input", "`customer` is given twice")


@pytest.mark.parametrize("command", [["apply", "r.seg", "-o", "o.csv"], ["stats", "r.seg", "-o", "s.json"]])
@pytest.mark.parametrize("given", ["customer=folder.csv", "folder.csv", "customer=dirlink.csv"])
def test_an_input_that_is_a_directory_is_refused(place, command, given):
    _usage_error(place, [*command, "-i", given], "--input", "is a directory")


@pytest.mark.parametrize("kwargs, word", [
    (dict(output="folder.csv"), "output="),
    (dict(output=os.devnull), "output="),
    (dict(output="file.txt/out.csv"), "output="),
    (dict(output="out.xyz"), "output="),
    (dict(on_error="quarantine", quarantine="folder.csv"), "quarantine="),
    (dict(on_error="quarantine", quarantine="file.txt/q.csv"), "quarantine="),
    (dict(encoding="no-such-codec"), "encoding="),
    (dict(batch_size=MAX_BATCH_SIZE + 1), "batch_size="),
])
def test_api_refuses_the_same_with_option_errors(place, kwargs, word):
    before = snapshot(place)
    with pytest.raises(api.OptionError) as caught:
        api.load("r.seg").apply("d.csv", "python", **kwargs)
    assert str(caught.value).startswith(word), caught.value
    assert snapshot(place) == before
