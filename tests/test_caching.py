"""The cache folder (caching.py) and the paused collector (collector.py): the two pieces
of start-up and compile speed that every stage may use."""
from __future__ import annotations

import gc
import os

from segdsl import caching, collector


def test_the_collector_is_paused_inside_and_restored_after():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():              # nested: still paused, and not turned on early
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_restored_after_an_error():
    try:
        with collector.paused():
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_program_stays_off():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_cache_folder_is_the_users_unless_given(monkeypatch, tmp_path):
    monkeypatch.delenv("SEGDSL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert caching.cache_dir() == tmp_path / "xdg" / "segdsl"
    monkeypatch.setenv("SEGDSL_CACHE_DIR", str(tmp_path / "given"))
    assert caching.cache_dir() == tmp_path / "given"


def test_a_file_is_written_whole_and_private(monkeypatch, tmp_path):
    monkeypatch.setenv("SEGDSL_CACHE_DIR", str(tmp_path / "cache"))
    caching.write("entry", b"x" * 100_000)
    assert caching.read("entry") == b"x" * 100_000
    assert os.listdir(tmp_path / "cache") == ["entry"]          # no temporary file left
    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0       # the user's own folder
    assert caching.read("missing") is None


def test_a_folder_that_cannot_be_written_is_no_error(monkeypatch, tmp_path):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("SEGDSL_CACHE_DIR", str(tmp_path / "file" / "cache"))
    caching.write("entry", b"x")
    assert caching.read("entry") is None


def test_the_code_fingerprint_is_stable_within_a_run():
    assert caching.code_fingerprint() == caching.code_fingerprint()
    assert len(caching.code_fingerprint()) == 64
