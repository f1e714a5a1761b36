"""Every engine by name: the one list the CLI, the Python API and the tests read.

An engine's module is imported when the engine is asked for, not before, so
`--engine python` never imports DuckDB's engine or PySpark. Adding an engine
is one module (with an `ENGINE` object that satisfies engines/base.Engine)
and one line in `_MODULES`; `register` adds one at run time (a test's toy
engine, a plug-in).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import fail

if TYPE_CHECKING:       # the engines' common ground is imported with the first engine, not by `check`
    from .base import Engine

DEFAULT = "duckdb"

_MODULES = {
    "duckdb": "segdsl.engines.duckdb",
    "python": "segdsl.engines.python",
    "spark": "segdsl.engines.spark",
    "polars": "segdsl.engines.polars",
}
_registered: dict[str, Engine] = {}


def names() -> tuple[str, ...]:
    """Every engine this process knows, whether or not it can run here."""
    return tuple(dict.fromkeys([*_MODULES, *_registered]))


def get(name: str) -> Engine:
    """The engine called `name`; a Problem at `engine` if there is none, or it cannot run here."""
    engine = _registered.get(name)
    if engine is None and name in _MODULES:
        engine = importlib.import_module(_MODULES[name]).ENGINE
    if engine is None:
        raise fail("unknown-engine", "engine", name, f"available engines: {', '.join(available())}", usage=True)
    if not engine.available():
        raise fail("unavailable", "engine", name,
                   f"is not available here (available engines: {', '.join(available())})", usage=True)
    return engine


def available() -> list[str]:
    """The engines that can run here (their libraries are installed)."""
    out = []
    for name in names():
        engine = _registered.get(name)
        if engine is None:
            engine = importlib.import_module(_MODULES[name]).ENGINE
        if engine.available():
            out.append(name)
    return out


def register(engine: Engine) -> None:
    """Adds an engine under `engine.name` (replacing one of that name) for this process."""
    _registered[engine.name] = engine


def unregister(name: str) -> None:
    _registered.pop(name, None)
