"""The parser's tables cached on disk: written once, read after, never stale, never an error.

Each case runs a fresh process (the parser is built once per process) with its
own cache folder."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT, TINY_RULES

PARSE = ("from segdsl.syntax.parse import parser; "
         "import sys, lark; p = parser(); "
         "print('Lark' if isinstance(p, lark.Lark) else type(p).__name__, len(p.terminals)); "
         "print(p.parse(sys.stdin.read(), start='start').pretty())")


def _run(cache: Path, text: str = TINY_RULES) -> str:
    env = {**os.environ, "SEGDSL_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PARSE], input=text, env=env, capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_the_tables_are_written_once_and_read_after(tmp_path):
    cache = tmp_path / "cache"
    first = _run(cache)
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].name.startswith("grammar-")
    written = files[0].stat().st_mtime_ns
    assert _run(cache) == first                       # the same trees from the cached tables
    assert files[0].stat().st_mtime_ns == written     # read, not written again
    assert not [f for f in cache.iterdir() if f.name.endswith(".tmp")]


def test_a_damaged_cache_file_is_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    good = _run(cache)
    (path,) = cache.iterdir()
    path.write_bytes(path.read_bytes()[:500])         # cut short, as by a full disk
    assert _run(cache) == good
    assert path.stat().st_size > 500


def test_a_folder_that_cannot_be_written_costs_only_time(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert _run(blocked / "cache").startswith("Lark")


def test_the_file_is_named_by_the_grammar(tmp_path):
    """A changed grammar is another file name: an old file is never read."""
    from segdsl.syntax import parse
    cache = tmp_path / "cache"
    _run(cache)
    (path,) = cache.iterdir()
    grammar = parse.GRAMMAR_PATH.read_text(encoding="utf-8")
    assert path.name == parse.cache_name(grammar)
    assert parse.cache_name(grammar + "\n") != path.name
