"""The command line on nonsense arguments: a message, exit code 2, never a traceback."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from segdsl.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args", [
    ["apply", "rulesets/telco_churn.seg", "--input", "customer=segdsl/samples/telco_customers.csv", "--engine", "x"],
    ["apply", "rulesets/telco_churn.seg", "--input", "nobody=segdsl/samples/telco_customers.csv"],
    ["compile", "rulesets/telco_churn.seg", "--target", "sql", "--dialect", "no-such-dialect"],
    ["test", "rulesets/telco_churn.seg", "--engine", "x"],
])
def test_wrong_usage_is_a_message_and_exit_2(args):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "error:" in r.output and "Traceback" not in r.output
