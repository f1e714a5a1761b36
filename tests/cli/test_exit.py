"""How a `segdsl` process ends (cli._leave): without tearing the interpreter down, yet with
everything a normal exit gives: the exit code, the streams flushed, the atexit functions
run, and no file half-written or temporary file left when a run fails part-way."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import TINY_RULES, cli_probe, many_rows, process_engines

ROWS = 200_000
ENGINES = process_engines()


# stdout buffered, as a pipe's is unless PYTHONUNBUFFERED says otherwise: what is not flushed is lost
BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _segdsl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "segdsl.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=BUFFERED)


@pytest.fixture(scope="module")
def late_bad_row(tmp_path_factory) -> Path:
    """Rules and a CSV input whose one bad row comes last, after many batches are written."""
    return many_rows(tmp_path_factory.mktemp("exit"), TINY_RULES, ROWS, "in.csv", "last,not-a-number\n")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_run_failing_late_leaves_the_target_as_it_was_and_no_temporary_file(late_bad_row, tmp_path, engine):
    output = tmp_path / "out.csv"
    output.write_text("the previous run's output\n", encoding="utf-8")
    done = _segdsl("apply", str(late_bad_row / "r.seg"), "-i", str(late_bad_row / "in.csv"), "-o", str(output),
                   "--engine", engine, "--batch-size", "1000", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "not-a-number" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert output.read_text(encoding="utf-8") == "the previous run's output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_the_whole_output_reaches_a_pipe_and_the_exit_code_is_the_commands(tmp_path):
    """A long text on stdout is all there (the streams are flushed before the process ends)."""
    segments = "".join(f"  segment s{i} when v = {i}\n" for i in range(2000))
    rules = tmp_path / "r.seg"
    rules.write_text(TINY_RULES + f"dimension many first {{\n{segments}}}\n", encoding="utf-8")
    python = _segdsl("compile", str(rules), "--target", "python", cwd=tmp_path)
    assert python.returncode == 0, python.stderr
    assert len(python.stdout) > 100_000 and "s1999" in python.stdout
    compile(python.stdout, "generated.py", "exec")          # complete: it compiles as Python
    (tmp_path / "bad.seg").write_text(TINY_RULES + "let broken = \n", encoding="utf-8")
    bad = _segdsl("check", str(tmp_path / "bad.seg"), cwd=tmp_path)
    assert bad.returncode == 1 and "bad.seg:" in bad.stderr + bad.stdout
    assert _segdsl("apply", cwd=tmp_path).returncode == 2


def test_atexit_functions_run_before_the_process_ends(tmp_path):
    rules = tmp_path / "r.seg"
    rules.write_text(TINY_RULES, encoding="utf-8")
    probe = cli_probe("'atexit ran'") + "\nprint('not reached')"
    done = subprocess.run([sys.executable, "-c", probe, "check", str(rules)], capture_output=True, text=True, cwd=tmp_path,
                          env=BUFFERED)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "atexit ran" and "not reached" not in done.stdout


def _into(stream: str, path: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """A command whose standard output or error is the file `path` (`/dev/full`: every write fails)."""
    with open(path, "w") as sink:
        kwargs = {"stdout": sink, "stderr": subprocess.PIPE} if stream == "stdout" else \
            {"stdout": subprocess.PIPE, "stderr": sink}
        return subprocess.run([sys.executable, "-m", "segdsl.cli", *args], text=True, cwd=cwd, env=BUFFERED, **kwargs)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["apply", "r.seg", "-i", "in.csv", "-o", "out.csv"],
                                     ["compile", "r.seg", "--target", "sql"],
                                     ["check", "--format", "json", "r.seg"],
                                     ["explain", "r.seg", "-i", "in.csv", "--id", "a"]])
def test_a_full_standard_output_is_an_error_with_words_and_no_traceback(tmp_path, command):
    (tmp_path / "r.seg").write_text(TINY_RULES, encoding="utf-8")
    (tmp_path / "in.csv").write_text("id,v\na,7\nb,1\n", encoding="utf-8")
    done = _into("stdout", "/dev/full", *command, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: cannot write to standard output: No space left on device"
    if command[0] == "apply":                   # the output was in place before the summary was written
        assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("id,")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_standard_error_ends_the_command_with_1_and_no_traceback(tmp_path):
    (tmp_path / "r.seg").write_text(TINY_RULES + "let broken = \n", encoding="utf-8")
    done = _into("stderr", "/dev/full", "check", "r.seg", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    """`segdsl compile ... | head -1`: the reader closes the pipe; no words, no traceback."""
    segments = "".join(f"  segment s{i} when v = {i}\n" for i in range(3000))
    (tmp_path / "r.seg").write_text(TINY_RULES + f"dimension many first {{\n{segments}}}\n", encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-m", "segdsl.cli", "compile", "r.seg", "--target", "python"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=BUFFERED)
    assert child.stdout.readline()
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait() == 1 and stderr == "", stderr
