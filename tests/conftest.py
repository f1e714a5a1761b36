"""Makes the conformance and property counts appear at the end of every test
run, not only when their folders are named on the command line (under
pytest-xdist the controller loads a folder's conftest only then)."""
from __future__ import annotations

import pytest

from tests.conformance import conftest as conformance
from tests.property import conftest as property_

_PARTS = (conformance, property_)


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
