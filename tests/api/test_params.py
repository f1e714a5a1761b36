"""Params are resolved by one function (params.resolve_params); the command line and the
Python API each keep their own error type and words."""
from __future__ import annotations

import datetime as dt

import pytest

import segdsl
from segdsl.api import ParamError
from segdsl.service.params import UsageError, resolve_params
from tests.helpers import ruleset

RULES = '''
ruleset p
param as_of: date
param min_spend: number = 100
input customer key id { id: string  spend: number? }
dimension d first { segment big when spend >= min_spend and as_of > 2020-01-01 otherwise small }
'''


def test_command_line_words_and_usage_error(tmp_path):
    rs = ruleset(tmp_path, RULES)
    assert resolve_params(rs, {"as_of": "2026-01-01", "min_spend": "95%"}) == \
        {"as_of": dt.date(2026, 1, 1), "min_spend": 0.95}
    with pytest.raises(UsageError, match=r"^--param min_spnd: the ruleset has no param `min_spnd`; "
                                         r"did you mean `min_spend`\?$"):
        resolve_params(rs, {"as_of": "2026-01-01", "min_spnd": "1"})
    with pytest.raises(UsageError, match=r"^param `as_of` has no default: give it with --param as_of=VALUE$"):
        resolve_params(rs, {})
    with pytest.raises(UsageError, match=r"^--param min_spend=lots: `min_spend` needs a number$"):
        resolve_params(rs, {"as_of": "2026-01-01", "min_spend": "lots"})


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
    assert not issubclass(ParamError, UsageError) and not issubclass(UsageError, ParamError)
