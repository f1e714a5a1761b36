"""Text → Lark parse tree, with one LALR parser per process, its tables cached on disk.

Building the LALR tables from the grammar takes longer than parsing a whole
rule file, and every `segdsl` command used to pay it. The built parser is
saved with Lark's own serialization (what Lark's `cache` option writes) in
a file named by a hash of everything it depends on: the grammar text, the
parser options, Lark's version and Python's. A changed grammar or an
upgraded Lark is a different name, so a cache file is never stale, and the
old one is simply never read again. Lark's `cache` option writes its file
in place; here the file is written to a temporary name and renamed, so a
command running beside another never reads half a file. A file that cannot
be read (damaged, or a folder that cannot be written) costs the build, never
an error. The folder: `$SEGDSL_CACHE_DIR`, else the user's cache folder
(`$XDG_CACHE_HOME/segdsl`, `~/.cache/segdsl`); deleting it is always safe.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from functools import cache
from pathlib import Path

from lark import Lark, Tree, __version__ as LARK_VERSION
from lark.exceptions import UnexpectedInput

from ..diagnostics.values import SegError
from ..source import Source
from .errors import syntax_diagnostic

GRAMMAR_PATH = Path(__file__).resolve().parent / "segdsl.lark"
OPTIONS = dict(parser="lalr", start=["start", "constant"], propagate_positions=True, maybe_placeholders=True)


def cache_dir() -> Path:
    """Where segdsl keeps what it can always rebuild."""
    given = os.environ.get("SEGDSL_CACHE_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "segdsl"


def cache_name(grammar: str) -> str:
    """The cache file's name: a hash of all the built parser depends on."""
    key = hashlib.sha256("\0".join([grammar, repr(sorted(OPTIONS.items())), LARK_VERSION,
                                    repr(sys.version_info[:2])]).encode("utf-8")).hexdigest()[:32]
    return f"grammar-{key}.lark"


@cache
def parser() -> Lark:
    grammar = GRAMMAR_PATH.read_text(encoding="utf-8")
    path = cache_dir() / cache_name(grammar)
    loaded = _load(path)
    if loaded is not None:
        return loaded
    built = Lark(grammar, **OPTIONS)
    _save(built, path)
    return built


def _load(path: Path) -> Lark | None:
    try:
        with open(path, "rb") as f:
            return Lark.load(f)
    except Exception:       # missing, damaged, or written by another Lark: build it again
        return None


def _save(built: Lark, path: Path) -> None:
    """Written whole under a temporary name, then renamed into place (atomic on one file system)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".grammar-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                built.save(f)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:         # a read-only or full disk: the next command builds it again
        pass


def parse_tree(source: Source, start: str = "start") -> Tree:
    try:
        return parser().parse(source.text, start=start)
    except UnexpectedInput as exc:
        raise SegError([syntax_diagnostic(source, exc, parser())]) from None
