"""A project's settings for segdsl: `[tool.segdsl]` in the nearest pyproject.toml.

Looked for from the rule file's folder upward, stopping at the first
pyproject.toml or at the repository's root (a folder holding `.git`), as
other Python tools find theirs. Today it holds which diagnostics to show:

    [tool.segdsl]
    select = ["SEG4"]            # codes or prefixes; default: every code
    ignore = ["SEG401", "SEG499"]

A malformed table is a usage error naming the file, never ignored.
"""
from __future__ import annotations

import functools
import os
import tomllib
from pathlib import Path

from ..diagnostics.codes import CODES
from ..diagnostics.suppress import Selection
from ..engines.errors import fail

KEYS = ("select", "ignore")


def find(start: Path) -> Path | None:
    try:
        folder = start.resolve()
    except (OSError, RuntimeError):      # links in a loop: the file itself is reported (SEG008)
        folder = Path(os.path.abspath(start))
    for d in (folder, *folder.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if (d / ".git").exists():
            return None
    return None


def selection_for(rule_file: str | Path) -> Selection:
    found = find(Path(rule_file).parent)
    return Selection() if found is None else read(found)


@functools.lru_cache(maxsize=32)
def read(path: Path) -> Selection:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise fail("bad-config", "config", path, f"cannot be read: {exc}", usage=True) from None
    table = data.get("tool", {}).get("segdsl", {})
    if not isinstance(table, dict):
        raise fail("bad-config", "config", path, "[tool.segdsl] must be a table", usage=True)
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise fail("bad-config", "config", path,
                   f"[tool.segdsl] has no setting `{unknown[0]}` (settings: {', '.join(KEYS)})", usage=True)
    lists = {}
    for key in KEYS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("bad-config", "config", path, f"[tool.segdsl] {key} must be a list of codes such as "
                       '["SEG401"]', usage=True)
        bad = [v for v in value if not any(c.startswith(v) for c in CODES) or not v.startswith("SEG")]
        if bad:
            raise fail("bad-config", "config", path, f"[tool.segdsl] {key}: `{bad[0]}` is no diagnostic code "
                       "or prefix of one (see docs/diagnostics.md)", usage=True)
        lists[key] = tuple(value)
    return Selection(lists["select"], lists["ignore"])
