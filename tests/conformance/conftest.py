"""Prints how many conformance cases and engine runs a test run checked.

Under pytest-xdist each worker counts its own tests and hands the counts to
the controller through `workeroutput`; the controller adds them up. The
controller only imports this file when tests/conformance is named on the
command line; a tests/conftest.py that calls these hooks makes the line
appear in every run. The hooks are idempotent (sets of test ids, one print),
so being called from two conftests is harmless.
"""
from __future__ import annotations

import json

import pytest

from segdsl.engines import registry
from tests.backends.conftest import postgres  # noqa: F401  (the throwaway server, for the postgres engine)
from tests.engines.interpreter_engine import InterpreterEngine

# An engine joins the suite by being registered, and by nothing else: the toy engine
# (the reference interpreter behind the engine contract) must pass every case too.
registry.register(InterpreterEngine())

_SEEN: dict[str, set[str]] = {"case": set(), "run": set(), "not_supported": set()}
_KEY = "segdsl_conformance"


def record(kind: str, item: str) -> None:
    _SEEN[kind].add(item)


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_KEY] = json.dumps({k: sorted(v) for k, v in _SEEN.items()})


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    data = getattr(node, "workeroutput", {}).get(_KEY)
    if data:
        for k, v in json.loads(data).items():
            _SEEN[k].update(v)


_PRINTED: list[bool] = []


def pytest_terminal_summary(terminalreporter):
    if not any(_SEEN.values()) or _PRINTED:
        return
    _PRINTED.append(True)
    runs = _SEEN["run"] - _SEEN["not_supported"]
    terminalreporter.write_line(
        f"conformance: {len(_SEEN['case'])} cases, {len(runs)} engine runs, "
        f"{len(_SEEN['not_supported'])} not supported by an engine (allowed by the case)")
