"""Files that are either fully written or not at all, and their temporary files.

Every file segdsl writes (data outputs, quarantine files, summaries, stats
and compiled files) is written to a hidden temporary file beside its target,
`.NAME.XXXXXXXX.tmp` (NAME the target's name, eight hex digits), then renamed
over the target. Temporary files are created with the usual permissions (the
umask applied, like any file the user's tools create), never owner-only.

A run that is killed outright (SIGKILL, a power cut) cannot remove its
temporary file. The next run that writes the same target removes such
leftovers: files of exactly that naming pattern beside the target, not
modified for STALE_AFTER (a live run writes its temporary file as it goes;
one that is slow to start writing is still far younger than that). Nothing
else is ever removed.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

STALE_AFTER = 24 * 60 * 60          # seconds without a change after which a temporary file is a leftover

# Set when the program was asked to stop (Ctrl-C, SIGTERM): from then on no file is put in
# place, even if the exception the signal raised was lost (Python ignores one raised inside
# a finalizer, and engines may catch it): the commit raises instead, and the file is removed.
_stop = {"requested": False}


def request_stop(requested: bool = True) -> None:
    """From now on (until called with False), committing a file raises KeyboardInterrupt."""
    _stop["requested"] = requested


def check_not_stopping() -> None:
    if _stop["requested"]:
        raise KeyboardInterrupt("stopped before the file was put in place")


def temp_name(target: str) -> str:
    """A new temporary file's name beside `target` (not created)."""
    directory, name = os.path.split(os.path.abspath(target))
    # os.urandom, as secrets.token_hex does, without importing secrets (and hashlib) at start-up
    return os.path.join(directory, f".{name}.{os.urandom(4).hex()}.tmp")


def create_temp(target: str | os.PathLike) -> str:
    """A new, empty hidden file beside `target` (umask applied); stale leftovers removed first."""
    target = os.fspath(target)
    remove_stale(target)
    for _ in range(100):
        temp = temp_name(target)
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:      # a folder that takes no new file (read-only, /proc): said of the target
            raise type(exc)(exc.errno, exc.strerror, target) from None
        os.close(fd)
        return temp
    raise FileExistsError(f"cannot create a temporary file beside {target}")


def remove_stale(target: str | os.PathLike, now: float | None = None) -> list[str]:
    """Removes the leftover temporary files of `target` (our exact naming pattern, unchanged for
    STALE_AFTER seconds); returns their paths."""
    directory, name = os.path.split(os.path.abspath(os.fspath(target)))
    pattern = re.compile(r"\." + re.escape(name) + r"\.[0-9a-f]{8}\.tmp")
    cutoff = (time.time() if now is None else now) - STALE_AFTER
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            continue
    return removed


def unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """`text` (UTF-8) as the whole content of `path`, or `path` untouched."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = create_temp(target)
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        check_not_stopping()
        os.replace(tmp, target)
    except BaseException:
        unlink_quietly(tmp)
        raise
