"""Checked rule files kept on disk, like `__pycache__`: an unchanged file is not parsed,
type-checked and linted again by the next command.

An entry is named by a hash of the main file's bytes, its path, the folder
the command runs in (diagnostics show paths as given), the options of the
check and segdsl's own code (caching.code_fingerprint). It holds the texts
of every file the check read, the imports included, and is used only when
each of them still reads the same, so an edited import is a miss, never a
stale answer. Only results without errors are kept: an error may come from
the state of the file system (a missing import) rather than from the texts.
Files are read here exactly as the loader reads them (syntax/reading.py), and
anything unusual (a file that is not a regular file, not UTF-8, a damaged
entry) is a miss, so the full check says what is wrong.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from codecs import BOM_UTF8
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .. import caching
from ..syntax.reading import read_bytes

if TYPE_CHECKING:
    from .frontend import CheckResult

_FORMAT = b"checked-1"


def _text(path: str | Path) -> str | None:
    try:
        raw = read_bytes(Path(path))
    except Exception:       # noqa: BLE001 - refused or unreadable: the full check reports it
        return None
    if raw.startswith(BOM_UTF8):
        raw = raw[len(BOM_UTF8):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _name(path: str | Path, text: str, options: tuple) -> str:
    digest = hashlib.sha256(_FORMAT)
    for part in (caching.code_fingerprint(), os.getcwd(), os.fspath(path), repr(options), text):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return f"checked-{digest.hexdigest()[:40]}.pickle"


def lookup(path: str | Path, options: tuple) -> "CheckResult | None":
    text = _text(path)
    if text is None:
        return None
    data = caching.read(_name(path, text, options))
    if data is None:
        return None
    try:
        result = pickle.loads(data)
    except Exception:       # noqa: BLE001 - damaged, or from a segdsl whose classes differ: check again
        return None
    texts = getattr(result, "texts", None)
    if not isinstance(texts, dict) or texts.get(str(path)) != text:
        return None
    if any(_text(name) != t for name, t in texts.items() if name != str(path)):
        return None         # an import changed since
    return result


def store(path: str | Path, options: tuple, result: "CheckResult", ruleset: bool = True) -> None:
    """`ruleset=False`: the entry keeps the diagnostics and the texts, not the IR (the solver's
    findings, kept beside the checked file's own entry, which has it: pickling and reading a
    large ruleset twice cost more than the rest of a warm `check`)."""
    if result.ruleset is None or any(d.is_error for d in result.diagnostics):
        return
    text = result.texts.get(str(path))
    if text is None:
        return
    if not ruleset:
        result = replace(result, ruleset=None)
    try:
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:       # noqa: BLE001 - something in the result does not pickle: nothing kept
        return
    caching.write(_name(path, text, options), data)
