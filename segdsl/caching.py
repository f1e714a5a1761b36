"""What segdsl keeps on disk to start faster: never needed, always rebuilt when missing.

Two things are cached: the parser's tables (syntax/parse.py) and checked rule
files (check/cache.py). Both are named by a hash of everything they depend
on, so a cached file is either exactly what would be rebuilt or never found;
both are written whole under a temporary name and renamed into place, so a
command running beside another never reads half a file; and a file that
cannot be read or written costs the rebuild, never an error. The folder:
`$SEGDSL_CACHE_DIR`, else the user's cache folder (`$XDG_CACHE_HOME/segdsl`,
`~/.cache/segdsl`), private to the user; deleting it is always safe.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from functools import cache
from pathlib import Path


def cache_dir() -> Path:
    given = os.environ.get("SEGDSL_CACHE_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "segdsl"


def read(name: str) -> bytes | None:
    """A cached file's bytes, or None (missing or unreadable)."""
    try:
        with open(cache_dir() / name, "rb") as f:
            return f.read()
    except OSError:
        return None


def write(name: str, data: bytes) -> None:
    """Written whole under a temporary name, then renamed into place (atomic on one file system).
    A folder that cannot be written (read-only, full) is left alone: the next command rebuilds."""
    folder = cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, folder / name)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


@cache
def code_fingerprint() -> str:
    """A hash of segdsl's own code (every .py and .lark file of the package: its name, size and
    modification time, which is how Python's own `__pycache__` tells a changed module) and
    Python's version: a file cached by one segdsl is never read by another, even an edited copy
    with the same version number. Stating the files costs a fraction of reading them all."""
    root = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256(repr(sys.version_info[:3]).encode())
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".lark")):
                path = os.path.join(folder, name)
                st = os.stat(path)
                digest.update(f"{os.path.relpath(path, root)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode("utf-8"))
    return digest.hexdigest()


@cache
def version_of(package: str) -> str:
    """An installed package's version, for the name of an entry whose contents it decides
    (SQL sqlglot renders, findings z3 gives); "?" when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"
