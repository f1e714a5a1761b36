"""Every file segdsl writes gets the permissions of any new file (the umask applied, never
owner-only), and the leftovers of killed runs are removed by the next run that writes the
same target: only files of our exact naming pattern, only when unchanged for STALE_AFTER."""
from __future__ import annotations

import os
import stat
import time

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.io import OutputColumn, open_output
from segdsl.io.atomic import STALE_AFTER, remove_stale, write_text_atomic
from tests.helpers import TINY_RULES

runner = CliRunner()

RULES = TINY_RULES


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield 0o644
    os.umask(old)


@pytest.fixture
def umask_002():
    old = os.umask(0o002)
    yield 0o664
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _write_every_kind(tmp_path, monkeypatch) -> list:
    """Every file the command line writes: output, quarantine, summary, stats, compiled code."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.seg").write_text(RULES, encoding="utf-8")
    (tmp_path / "d.csv").write_text("id,v\na,1\nb,x\n", encoding="utf-8")
    for args in (["apply", "r.seg", "-i", "d.csv", "-o", "o.csv", "--on-error", "quarantine", "--quarantine", "q.csv",
                  "--summary-json", "s.json"],
                 ["stats", "r.seg", "-i", "d.csv", "--on-error", "skip", "-o", "st.json"],
                 ["compile", "r.seg", "-o", "c.py"],
                 ["compile", "r.seg", "--target", "sql", "-o", "c.sql"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
    return [tmp_path / n for n in ("o.csv", "q.csv", "s.json", "st.json", "c.py", "c.sql")]


@pytest.mark.parametrize("umask", ["umask_022", "umask_002"])
def test_every_written_file_honours_the_umask(tmp_path, monkeypatch, umask, request):
    expected = request.getfixturevalue(umask)
    for path in _write_every_kind(tmp_path, monkeypatch):
        assert _mode(path) == expected, path


def test_write_text_atomic_honours_the_umask(tmp_path, umask_022):
    write_text_atomic(tmp_path / "a.txt", "x")
    assert _mode(tmp_path / "a.txt") == umask_022


def _aged(path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


@pytest.mark.parametrize("writer", ["output", "text"])
def test_stale_temporaries_of_the_target_are_removed_by_the_next_write(tmp_path, writer):
    target = tmp_path / "out.csv"
    stale = tmp_path / ".out.csv.0123abcd.tmp"
    young = tmp_path / ".out.csv.89abcdef.tmp"
    others = [tmp_path / n for n in (
        ".other.csv.0123abcd.tmp",      # another target's
        ".out.csv.0123ABCD.tmp",        # not our digits
        ".out.csv.0123abc.tmp",         # seven digits
        ".out.csv.0123abcd.tmp.keep",   # more after the pattern
        "out.csv.0123abcd.tmp",         # not hidden
    )]
    for p in (stale, young, *others):
        p.write_text("left over")
    for p in (stale, *others):
        _aged(p, STALE_AFTER + 60)
    _aged(young, STALE_AFTER - 600)
    if writer == "output":
        with open_output(target, [OutputColumn("a")]) as w:
            w.write([{"a": "1"}])
    else:
        write_text_atomic(target, "a\n1\n")
    assert target.exists()
    assert not stale.exists()
    assert young.exists() and all(p.exists() for p in others)


def test_a_stale_looking_folder_or_symlink_is_left_alone(tmp_path):
    folder = tmp_path / ".out.csv.0123abcd.tmp"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    link = tmp_path / ".out.csv.fedcba98.tmp"
    os.symlink(victim, link)
    for p in (folder, victim):
        _aged(p, STALE_AFTER + 60)
    os.utime(link, (time.time() - STALE_AFTER - 60,) * 2, follow_symlinks=False)
    assert remove_stale(tmp_path / "out.csv") == []
    assert folder.is_dir() and link.is_symlink() and victim.read_text() == "keep"


@pytest.mark.parametrize("writer", ["output", "text"])
def test_once_a_stop_is_requested_nothing_is_put_in_place(tmp_path, writer):
    """Even when the exception a signal raised was lost on the way (ignored in a finalizer,
    caught by an engine), the file being written is not committed."""
    from segdsl.io.atomic import request_stop
    target = tmp_path / "out.csv"
    target.write_text("before\n")
    request_stop()
    try:
        with pytest.raises(KeyboardInterrupt):
            if writer == "output":
                with open_output(target, [OutputColumn("a")]) as w:
                    w.write([{"a": "1"}])
            else:
                write_text_atomic(target, "a\n1\n")
    finally:
        request_stop(False)
    assert target.read_text() == "before\n"
    assert list(tmp_path.iterdir()) == [target]
    write_text_atomic(target, "after\n")
    assert target.read_text() == "after\n"


def test_a_folder_that_takes_no_new_file_is_reported_with_the_target_s_name(tmp_path):
    """The user gave the target, never the hidden temporary file beside it."""
    from segdsl.io.atomic import create_temp
    with pytest.raises(OSError) as raised:
        create_temp(tmp_path / "no-such-folder" / "out.csv")
    assert raised.value.filename == str(tmp_path / "no-such-folder" / "out.csv")
    assert ".tmp" not in str(raised.value)
