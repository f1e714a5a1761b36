"""Where a command reads and writes, checked before anything is read.

Every file a command reads (the rule file and its imports, each input file
and every file an input pattern matches, a stats file) and every file it
writes (the output, the quarantine file, the summary, a stats or compiled
file) is resolved (symlinks and `..` followed) and compared. Writing over a
file the run reads destroys it, and two targets on one file lose one of
them while the summary says both were written, so either is wrong use,
refused before a row is read.

Each target is also checked for what would otherwise fail only after the
work was done, or half of it committed: it must be a regular file or not
exist yet (a directory, a device such as /dev/null or a pipe is refused: the
atomic rename would replace the device, so segdsl writes regular files only),
its folder must exist or be creatable and be writable, and a table's format
must follow from its suffix.
"""
from __future__ import annotations

import glob
import os
import stat
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Iterable, Mapping

from ..engines.errors import fail

# How a Problem's detail calls the file of each option (neutral words, no flag names).
_CALLED = {"output": "the output", "quarantine": "the quarantine file", "summary_json": "the summary file",
           "stats": "the stats file"}


@dataclass(frozen=True)
class Target:
    """A file a command will write: the option it comes from (neutral name), where,
    and whether its suffix must name a table format (the output table)."""
    where: str
    path: Path
    table: bool = False


@dataclass(frozen=True)
class Read:
    """A file (or pattern of files) a command reads, and how a message calls it."""
    called: str          # "the rule file", "the file of input `customer`", ...
    path: str


def reads_of(rules: Iterable[str], inputs: Mapping[str, str | os.PathLike],
             others: Mapping[str, str | os.PathLike | None] | None = None) -> list[Read]:
    """What a run reads: the rule files, the inputs by name, other files by option."""
    found = [Read("a rule file", os.fspath(p)) for p in rules]
    found += [Read(f"the file of input `{name}`", os.fspath(p)) for name, p in inputs.items()]
    found += [Read(_CALLED.get(where, f"the {where} file"), os.fspath(p))
              for where, p in (others or {}).items() if p is not None]
    return found


def check_paths(reads: Iterable[Read], targets: Iterable[Target | None]) -> None:
    """Refuses (a usage Problem) a target that cannot be written as a regular file, that is
    a file the command reads (or would match one of its input patterns), or that another
    target of the same command names too."""
    targets = [t for t in targets if t is not None]
    reads = list(reads)
    for t in targets:
        check_target(t)
    read_files = [(r, f) for r in reads for f in _files(r.path)]
    patterns = [r for r in reads if glob.has_magic(r.path)]
    seen: list[tuple[Target, str]] = []
    for t in targets:
        real = _real(t.path)
        for r, f in read_files:
            if _same(real, f):
                raise fail("same-file", t.where, t.path,
                           f"is {r.called} ({r.path}): writing it would destroy what the run reads; "
                           "choose another path", usage=True)
        for r in patterns:
            if _matches(real, r.path):
                raise fail("same-file", t.where, t.path,
                           f"matches the pattern of {r.called} ({r.path}): a later run would read it as input; "
                           "choose a path outside the pattern", usage=True)
        for other, other_real in seen:
            if _same(real, other_real):
                raise fail("same-file", t.where, t.path,
                           f"is also {_CALLED.get(other.where, other.where)}: one would overwrite the other; "
                           "give each its own path", usage=True)
        seen.append((t, real))


def check_target(t: Target) -> None:
    """A file that can be written: a regular file or nothing yet, in a folder that is (or
    can be made) writable, with a suffix naming a format when the format comes from it."""
    real = Path(_real(t.path))
    try:
        mode = os.stat(real).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None                 # not there yet (or under a file: said below, about its folder)
    except OSError as exc:
        raise fail("cannot-write", t.where, t.path, f"cannot be written: {exc.strerror}", usage=True) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise fail("not-a-file", t.where, t.path, "is a directory; give a file path", usage=True)
    if mode is not None and not stat.S_ISREG(mode):
        raise fail("not-a-file", t.where, t.path,
                   "is not a regular file (a device, a pipe or a socket); segdsl writes only regular files "
                   "(to write nothing, leave the option out)", usage=True)
    if t.table and _suffix_format(t.path) is None:
        suffix = Path(t.path).suffix
        said = f"cannot tell the format from the suffix {suffix!r}" if suffix else "has no suffix to tell the format"
        raise fail("bad-suffix", t.where, t.path, said + "; use .parquet, .csv, .tsv or .jsonl", usage=True)
    folder = real.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise fail("cannot-write", t.where, t.path,
                   f"cannot create its folder: {folder} is a file, not a folder", usage=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise fail("cannot-write", t.where, t.path, f"cannot be written: the folder {folder} is not writable",
                   usage=True)
    longest = _name_max(folder) - len(".XXXXXXXX.tmp") - 1
    if len(os.fsencode(real.name)) > longest:
        raise fail("cannot-write", t.where, t.path,
                   f"the file name is too long: at most {longest} bytes here, so that the temporary file "
                   "written beside it (.NAME.XXXXXXXX.tmp) fits", usage=True)


def _suffix_format(path: str) -> str | None:
    from ..io.writers import suffix_format
    return suffix_format(path)


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _real(path: str | os.PathLike) -> str:
    return os.path.realpath(os.path.abspath(os.fspath(path)))


def _files(path: str) -> list[str]:
    """Every file a read names: the file, or each file its pattern matches (resolved), as the
    readers expand it (io/readers.expand); a pattern matching nothing names none. (The
    readers and writers are imported where used: `check` and `compile` write a text file and
    read no data.)"""
    if not glob.has_magic(path):
        return [_real(path)]
    from ..io.errors import InputError
    from ..io.readers import expand
    try:
        return [_real(f) for f in expand(path)]
    except InputError:
        return []


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _matches(real: str, pattern: str) -> bool:
    """Whether a file (perhaps not written yet) would be matched by `pattern`, as glob matches:
    the folder part expanded, the name matched."""
    folder, name = os.path.split(pattern)
    folders = glob.glob(folder, recursive=True) if glob.has_magic(folder) else [folder or "."]
    if name == "**":
        return any(real.startswith(_real(f) + os.sep) for f in folders if os.path.isdir(f))
    return _fnmatch(os.path.basename(real), name) and any(
        os.path.isdir(f) and _real(f) == os.path.dirname(real) for f in folders)


def _fnmatch(name: str, pattern: str) -> bool:
    """glob's matching of one path part: case-sensitive, a leading dot only by a leading dot."""
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatchcase(name, pattern)
