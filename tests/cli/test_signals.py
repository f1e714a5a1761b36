"""A run stopped by a signal leaves nothing behind: SIGTERM is handled like Ctrl-C (the
run unwinds, every temporary file is removed, the target stays as it was; exit 143, or
130 for SIGINT), and what a SIGKILL must leave is removed by the next run that writes
the same target once it is stale (io/atomic.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import TINY_RULES, many_rows, process_engines

RULES = TINY_RULES + """dimension t all {
  segment odd when v in [1, 3, 5, 7, 9]
  segment big when v > 7
}
"""
ROWS = 2_000_000


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A rule file and an input large enough that a run is still writing when signalled."""
    return many_rows(tmp_path_factory.mktemp("signals"), RULES, ROWS, "big.csv")


def _start(root: Path, engine: str, output: Path) -> subprocess.Popen:
    """The run in a process group of its own, as a shell starts a job."""
    return subprocess.Popen([sys.executable, "-m", "segdsl.cli", "apply", str(root / "r.seg"),
                             "-i", str(root / "big.csv"), "--engine", engine, "-o", str(output)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2], start_new_session=True)


def _temporaries(output: Path) -> list[Path]:
    return sorted(output.parent.glob(f".{output.name}.*.tmp"))


def _signal_mid_run(proc: subprocess.Popen, output: Path, sig: int, group: bool = False,
                    after: float = 0.2) -> None:
    """Waits until the run is writing its temporary file, then signals it (`group`: and its
    children, as Ctrl-C on a terminal does)."""
    deadline = time.monotonic() + 180
    while not _temporaries(output):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.01)
    time.sleep(after)
    assert proc.poll() is None, "the run ended before the signal: make the input larger"
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)


ENGINES = process_engines()


@pytest.mark.parametrize("engine", ENGINES)
# Early and later in the run: an engine may be inside its own query when the signal comes
# (DuckDB then raises "Query interrupted" of its own; the interruption is still reported).
@pytest.mark.parametrize("sig, code, words, group, after", [
    (signal.SIGTERM, 143, "terminated (SIGTERM)", False, 0.05),     # kill PID, a scheduler stopping the job
    (signal.SIGTERM, 143, "terminated (SIGTERM)", False, 0.6),
    (signal.SIGINT, 130, "interrupted", False, 0.05),
    (signal.SIGINT, 130, "interrupted", False, 0.6),
    (signal.SIGINT, 130, "interrupted", True, 0.3),                 # Ctrl-C: the whole job, the JVM too
], ids=["sigterm-early", "sigterm-later", "sigint-early", "sigint-later", "ctrl-c"])
def test_a_signal_mid_run_removes_the_temporary_file_and_keeps_the_target(big, tmp_path, engine, sig, code, words,
                                                                          group, after):
    output = tmp_path / "out.csv"
    output.write_text("the previous run's output\n")
    proc = _start(big, engine, output)
    _signal_mid_run(proc, output, sig, group, after)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr
    assert words in stderr and "Traceback" not in stderr, stderr
    assert _temporaries(output) == []
    assert output.read_text() == "the previous run's output\n"


def test_what_sigkill_leaves_is_removed_by_the_next_run_once_stale(big, tmp_path):
    from segdsl.io.atomic import STALE_AFTER
    output = tmp_path / "out.csv"
    proc = _start(big, "python", output)
    _signal_mid_run(proc, output, signal.SIGKILL)
    proc.communicate(timeout=120)
    left = _temporaries(output)
    assert len(left) == 1                       # nothing can remove it at once
    old = time.time() - STALE_AFTER - 60
    os.utime(left[0], (old, old))
    small = tmp_path / "small.csv"
    small.write_text("id,v\na,1\n")
    r = subprocess.run([sys.executable, "-m", "segdsl.cli", "apply", str(big / "r.seg"), "-i", str(small),
                        "-o", str(output), "--engine", "python"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert _temporaries(output) == [] and output.exists()
