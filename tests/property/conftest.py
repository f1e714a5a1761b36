"""Prints how many random rule files and records the property tests checked.

Tests add to `COUNTS`; under pytest-xdist each worker hands its counts to
the controller through `workeroutput` and the controller sums them. As with
tests/conformance/conftest.py, the xdist controller only imports this file
when tests/property is named on the command line (or from a tests/conftest.py
that calls these hooks); the hooks tolerate being called twice.
"""
from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.backends.conftest import postgres  # noqa: F401  (the throwaway server, for the postgres engine)

COUNTS: Counter = Counter()
_KEY = "segdsl_property_counts"
_LABELS = [("rulesets", "random rule files checked and compared"), ("records", "records"),
           ("engine_runs", "engine runs"), ("not_supported", "runs not supported (population functions in SQL's warehouse form)"),
           ("parser_texts", "texts fuzzed through the front end"),
           ("analysed", "random rule files analysed by the solver"), ("witnesses", "witnesses confirmed"),
           ("not_analysed", "dimensions not analysed"),
           ("vector_exact", "random batches segmented by the vector form"),
           ("vector_inexact", "random batches the vector form handed back (Inexact)"),
           ("vector_no_form", "random rule files without a vector form")]


def count(kind: str, n: int = 1) -> None:
    COUNTS[kind] += n


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_KEY] = json.dumps(dict(COUNTS))


_MERGED: set[str] = set()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    data = getattr(node, "workeroutput", {}).get(_KEY)
    worker = getattr(node, "gateway", None)
    ident = getattr(worker, "id", str(id(node)))
    if data and ident not in _MERGED:
        _MERGED.add(ident)
        COUNTS.update(json.loads(data))


_PRINTED: list[bool] = []


def pytest_terminal_summary(terminalreporter):
    if not COUNTS or _PRINTED:
        return
    _PRINTED.append(True)
    terminalreporter.write_line("property: " + ", ".join(f"{COUNTS[k]} {text}" for k, text in _LABELS if COUNTS[k]))
