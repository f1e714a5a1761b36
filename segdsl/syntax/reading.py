"""Reading rule files without trusting the path: which files an import may name, and
how any rule file is read.

A rule file names its imports, so a hostile or careless one could otherwise make
segdsl read `/proc/self/environ` and quote it in a diagnostic, block forever on a
named pipe, or read `/dev/zero` until memory runs out. So:

* an import resolves (symlinks followed) inside the project tree, the folder of the
  main rule file and the folders below it, and names a `.seg` file: anything else is
  refused before it is opened, so its text never reaches a diagnostic;
* every rule file, the main one included, must be a regular file (never a folder,
  pipe, device or socket; checked with `stat`, which does not open it, and again on
  the open descriptor), and at most `MAX_BYTES` long.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_BYTES = 4 * 1024 * 1024          # far above any real rule file; documented in docs/language.md
MAX_TEXT = "4 MiB"
SUFFIX = ".seg"

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class Refused(Exception):
    """Why a file is not read: `reason` completes "cannot read `FILE`: ..."."""

    def __init__(self, reason: str, help: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.help = help


LOOP = Refused("its symbolic links form a loop", "point the link at a rule file")


def resolve(path: Path) -> Path:
    """`path` with every symlink followed; raises Refused (LOOP) on a loop of links, which
    `Path.resolve` reports as a RuntimeError."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        raise LOOP from None


def project_root(main: str | Path) -> Path:
    """The project tree's top: the folder of the main rule file as it was named."""
    folder = Path(main).absolute().parent
    if "\x00" in str(folder):          # a NUL path is refused by the loader
        return folder
    try:
        return resolve(folder)
    except Refused:                     # the main file cannot be read either: the loader says so
        return folder


def import_refusal(target: Path, root: Path) -> Refused | None:
    """Why `target` (an import's path joined to its importer's folder) may not be imported, if so.
    Decided from the path alone: nothing outside the project is opened."""
    try:
        resolved = resolve(target)
    except Refused as exc:
        return exc
    if not resolved.is_relative_to(root):
        return Refused("it is outside the project (the folder of the main rule file and the folders below it)",
                       "copy the shared rule file into the project, or use --allow-imports-outside")
    if resolved.suffix != SUFFIX:
        return Refused(f"only rule files ending in `{SUFFIX}` can be imported",
                       f"rename the rule file to end in `{SUFFIX}`")
    return None


def _kind(mode: int) -> str | None:
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def _refuse_kind(mode: int) -> None:
    kind = _kind(mode)
    if kind is not None:
        raise Refused(f"it is {kind}, not a rule file", "give the path of a rule file (.seg)")


def _too_large() -> Refused:
    return Refused(f"it is larger than {MAX_TEXT}, the most a rule file may be",
                   "split it into files joined with `import`")


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES; raises Refused or OSError.
    The descriptor is opened non-blocking so that a file swapped for a pipe between
    the checks cannot hang the read, and checked again before reading."""
    st = os.stat(path)
    _refuse_kind(st.st_mode)
    if st.st_size > MAX_BYTES:
        raise _too_large()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        _refuse_kind(os.fstat(fd).st_mode)
        chunks, size = [], 0
        while size <= MAX_BYTES:        # /proc files report size 0: count what is read
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        raise _too_large()
    return b"".join(chunks)
