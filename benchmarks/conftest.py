"""Benchmarks run only when asked for:

    .venv/bin/pytest benchmarks --benchmark-enable -p no:cacheprovider

The project's pytest config collects `tests/` and passes `--benchmark-skip`;
here `--benchmark-enable` (or `--benchmark-only`) lifts that skip, and without
either of them nothing under benchmarks/ is collected, even by `pytest .`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))       # `import macro` for the shared data generator


def _asked_for(config) -> bool:
    return bool(config.getoption("benchmark_enable", False) or config.getoption("benchmark_only", False))


def pytest_ignore_collect(collection_path, config):
    if not _asked_for(config) and HERE in (collection_path, *collection_path.parents):
        return True
    return None


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    bs = getattr(config, "_benchmarksession", None)
    if bs is not None and _asked_for(config):
        bs.skip = False
