"""Every shipped ruleset and every design example checks clean and passes its own tests.

Runs the real command line (`segdsl check`, `segdsl test`) through typer's
CliRunner, the way CI and analysts call it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from tests.helpers import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
RULESETS = sorted((ROOT / "rulesets").glob("*.seg"))
EXAMPLE_PARAMS = [pytest.param(p, id=f"example:{p.name}") for p in EXAMPLES]
RULESET_PARAMS = [pytest.param(p, id=p.name) for p in RULESETS]
ALL_PARAMS = RULESET_PARAMS + EXAMPLE_PARAMS

PASSED = re.compile(r"(\d+) of (\d+) test cases passed")

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_the_shipped_rulesets_are_there():
    names = {p.name for p in RULESETS}
    assert {"telco_churn.seg", "telecom.seg", "real_estate.seg", "bank_marketing.seg",
            "ecommerce_rfm.seg"} <= names


@pytest.mark.parametrize("path", ALL_PARAMS)
def test_check_passes(path: Path):
    result = run("check", str(path))
    assert result.exit_code == 0, result.output
    assert " 0 errors" in result.output, result.output


@pytest.mark.parametrize("path", ALL_PARAMS)
@pytest.mark.parametrize("engine", ["python", "interp"])
def test_all_tests_pass(path: Path, engine: str):
    result = run("test", "--engine", engine, str(path))
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output, result.output
    m = PASSED.search(result.output)
    assert m, result.output
    passed, total = int(m.group(1)), int(m.group(2))
    assert total > 0 and passed == total, result.output


@pytest.mark.parametrize("path", RULESET_PARAMS)
def test_shipped_rulesets_have_no_warnings(path: Path):
    result = run("check", "--strict", str(path))
    assert result.exit_code == 0, result.output
    assert " 0 errors, 0 warnings" in result.output, result.output


@pytest.mark.parametrize("path", RULESET_PARAMS)
def test_shipped_rulesets_hit_every_segment(path: Path):
    result = run("test", "--min-coverage", "100", str(path))
    assert result.exit_code == 0, result.output
    assert "rule coverage 100%" in result.output, result.output
