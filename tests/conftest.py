"""Test lanes, and the conformance and property counts at the end of every run.

Lanes: every test that starts Spark or PostgreSQL (by name, or by running
every engine), or generates rule files or data with Hypothesis, is marked
`full`; the rest (front end, backends, the DuckDB
and Python engines, the command line) is the fast lane, `pytest -m "not
full"` (`make test-fast`). The README's `make test` runs both.

The counts appear at the end of every run, not only when their folders are
named on the command line (under pytest-xdist the controller loads a
folder's conftest only then)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.conformance import conftest as conformance
from tests.property import conftest as property_

_PARTS = (conformance, property_)

# Messages follow the locale (segdsl.i18n): the suites expect English whatever the machine's
# locale is; tests/i18n chooses Chinese itself (--lang zh, or LANG in a child's environment).
os.environ["LC_ALL"] = "C.UTF-8"

# The suite is hermetic: it reads only files inside the clone (and temporary
# ones it makes). A test that opens or lists anything in the folder beside the
# clone where the project's source material sits fails at that call.
_BESIDE = str(Path(__file__).resolve().parents[2] / "shared")


def _outside_the_clone(event: str, args: tuple) -> None:
    if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if path == _BESIDE or path.startswith(_BESIDE + os.sep):
            raise PermissionError(f"tests read only files inside the repository, not {path}")


sys.addaudithook(_outside_the_clone)


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory):
    """segdsl's cache (parser tables, checked rule files) in a folder of the run's own, not the
    user's: the suite never reads what another run or version left there."""
    os.environ["SEGDSL_CACHE_DIR"] = str(tmp_path_factory.mktemp("segdsl-cache"))
_FULL_WORDS = ("spark", "postgres", "every_engine", "random_")
_FULL_FOLDERS = ("tests/property/", "tests/cluster/")
_FULL_TESTS = ("test_the_real_online_retail_extract",)


def _is_full(item) -> bool:
    nodeid = item.nodeid.lower()
    return (any(w in nodeid for w in _FULL_WORDS) or nodeid.startswith(_FULL_FOLDERS)
            or item.originalname in _FULL_TESTS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _is_full(item):
            item.add_marker(pytest.mark.full)


def pytest_sessionfinish(session):
    for part in _PARTS:
        part.pytest_sessionfinish(session)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    for part in _PARTS:
        part.pytest_testnodedown(node, error)


def pytest_terminal_summary(terminalreporter):
    for part in _PARTS:
        part.pytest_terminal_summary(terminalreporter)
    _hostile_summary(terminalreporter)


def _hostile_summary(terminalreporter) -> None:
    """How many hostile inputs (tests/hostile: one case per parametrized test) were tried."""
    tried = {outcome: {r.nodeid for r in terminalreporter.stats.get(outcome, [])
                       if r.nodeid.startswith("tests/hostile/") and r.when == "call"}
             for outcome in ("passed", "failed")}
    total = len(tried["passed"] | tried["failed"])
    if total:
        terminalreporter.write_line(f"hostile: {total} hostile inputs tried, {len(tried['failed'])} not handled")
