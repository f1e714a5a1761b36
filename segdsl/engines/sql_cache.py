"""The SQL texts of a DuckDB run kept on disk, like the checked rule file
(check/cache.py): a second run on the same rules and the same kind of input
neither builds nor renders a query, and does not import sqlglot at all.

A run's texts are one cache entry, named by a hash of what every text depends
on (the checked ruleset, the params, the output's options, segdsl's own code,
the versions of sqlglot and DuckDB); within it each text is filed under a hash
of what that text alone depends on besides (the files a scan reads, what their
Parquet footers prove). So a text is found only where rebuilding it would give
the same text, never a stale one. The texts the run used are written first, and
earlier ones after them up to a bound, so the entry does not grow with every new
input file. Deleting the cache
folder is always safe (caching.py).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

from .. import caching

_FORMAT = b"sql-1"
KEPT = 32


def _versions() -> str:
    return ",".join(f"{name}={caching.version_of(name)}" for name in ("sqlglot", "duckdb"))


def _digest(parts: tuple) -> str | None:
    """A hash of `parts` by their repr, which for the IR's frozen dataclasses, text, numbers,
    dates and containers of them spells out every value (pickle's bytes would also depend on
    which equal objects are shared). A value whose repr shows its address (a class without
    one) would make every run a miss, never a wrong hit; None: no cache."""
    try:
        text = repr(parts)
    except Exception:       # noqa: BLE001 - something unusual in a value: build every time
        return None
    if " at 0x" in text:    # an object's address: not the same next time
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class SqlTexts:
    """`get(what, parts, build)`: the text `build()` gives, from the cache when it has it."""

    def __init__(self, *parts: Any):
        digest = _digest((_FORMAT, caching.code_fingerprint(), _versions(), parts))
        self.name = None if digest is None else f"sql-{digest}.json"
        self.known: dict[str, str] = {}
        self.used: dict[str, str] = {}
        if self.name is not None:
            raw = caching.read(self.name)
            try:
                found = json.loads(raw) if raw else {}
            except ValueError:      # damaged: rebuilt
                found = {}
            if isinstance(found, dict):
                self.known = {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}

    def _key(self, what: str, parts: tuple) -> str | None:
        digest = _digest(parts)
        return None if digest is None else f"{what}:{digest}"

    def has(self, what: str, parts: tuple) -> bool:
        """Whether an earlier run built this text (and so compiled the rules it comes from)."""
        key = self._key(what, parts)
        return key is not None and key in self.known

    def get(self, what: str, parts: tuple, build: Callable[[], str]) -> str:
        key = self._key(what, parts)
        text = self.known.get(key) if key is not None else None
        if text is None:
            text = build()
        if key is not None:
            self.used[key] = text
        return text

    def save(self) -> None:
        """The texts this run used, then those of earlier runs up to `KEPT` texts in all (a few
        input files read in turn all stay found; the entry never grows without bound)."""
        if self.name is None or not self.used or all(self.known.get(k) == v for k, v in self.used.items()):
            return
        kept = dict(self.used)
        for k, v in self.known.items():
            if len(kept) >= KEPT:
                break
            kept.setdefault(k, v)
        caching.write(self.name, json.dumps(kept).encode("utf-8"))
