"""Params are resolved by one function (params.resolve_params); a wrong param is a
Problem that the command line words with its flag, and the Python API raises as a
ParamError in its own words."""
from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.api import ParamError
from segdsl.cli import app
from segdsl.engines.errors import UsageProblem
from segdsl.service.params import resolve_params
from tests.helpers import ruleset

RULES = '''
ruleset p
param as_of: date
param min_spend: number = 100
input customer key id { id: string  spend: number? }
dimension d first { segment big when spend >= min_spend and as_of > 2020-01-01 otherwise small }
'''


def test_problems_and_command_line_words(tmp_path):
    rs = ruleset(tmp_path, RULES)
    assert resolve_params(rs, {"as_of": "2026-01-01", "min_spend": "95%"}) == \
        {"as_of": dt.date(2026, 1, 1), "min_spend": 0.95}
    cases = [
        ({"as_of": "2026-01-01", "min_spnd": "1"}, ("unknown-param", "min_spnd"),
         ["--param", "as_of=2026-01-01", "--param", "min_spnd=1"],
         "--param min_spnd: the ruleset has no param `min_spnd`; did you mean `min_spend`?"),
        ({}, ("missing-param", "as_of"), [], "param `as_of` has no default: give it with --param as_of=VALUE"),
        ({"as_of": "2026-01-01", "min_spend": "lots"}, ("bad-param", "min_spend=lots"),
         ["--param", "as_of=2026-01-01", "--param", "min_spend=lots"],
         "--param min_spend=lots: `min_spend` needs a number"),
    ]
    data = tmp_path / "in.csv"
    data.write_text("id,spend\na,1\n", encoding="utf-8")
    for given, (code, value), args, words in cases:
        with pytest.raises(UsageProblem) as info:
            resolve_params(rs, given)
        assert (info.value.problem.code, info.value.problem.where, info.value.problem.value) == (code, "param", value)
        assert "--" not in info.value.problem.detail
        r = CliRunner().invoke(app, ["apply", str(tmp_path / "rules.seg"), "--input", str(data), *args])
        assert r.exit_code == 2 and r.output == f"error: {words}\n", r.output


def test_python_api_words_and_param_error(tmp_path):
    path = tmp_path / "p.seg"
    path.write_text(RULES, encoding="utf-8")
    seg = segdsl.load(path, params={"as_of": dt.date(2026, 1, 1)})
    assert dict(seg.params) == {"as_of": dt.date(2026, 1, 1), "min_spend": 100.0}
    with pytest.raises(ParamError, match=r"^params: the ruleset has no param `min_spnd`; did you mean `min_spend`\?$"):
        seg.with_params(min_spnd=1)
    with pytest.raises(ParamError, match=r"^param `as_of` has no default: give it in params=\{'as_of': \.\.\.\}$"):
        segdsl.load(path)
    with pytest.raises(ParamError, match=r"^params\['min_spend'\] = 'lots': `min_spend` needs a number$"):
        seg.with_params(min_spend="lots")
    assert not issubclass(ParamError, UsageProblem) and not issubclass(UsageProblem, ParamError)
