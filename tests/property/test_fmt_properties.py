"""Formatting random rule files: idempotent, and the result checks to the same IR.

The files come from the random-ruleset strategy (tests/property/rulesets.py),
with comments added at the ends of random lines and on lines of their own,
since keeping comments is where a formatter goes wrong. Strings never span
lines there, so a `#` added at a line's end is always a comment.
"""
from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from pathlib import Path

from tests.fmt.helpers import assert_faithful
from tests.property.rulesets import PYTHON_SIDE, POPULATION, rulesets

SETTINGS = dict(deadline=None, max_examples=120, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.data_too_large])
COMMENT_TEXT = st.sampled_from(["# note", "#", "# 注释：为什么", "# a | b", '# "quoted"', "#  spaced  "])


ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "rulesets").rglob("*.seg")) + sorted((ROOT / "tests" / "fixtures" / "examples").glob("*.seg"))


@st.composite
def commented(draw, features=PYTHON_SIDE, text=None) -> str:
    lines = (text if text is not None else draw(rulesets(features))).split("\n")
    out = []
    for line in lines:
        if draw(st.integers(0, 5)) == 0:
            out.append(" " * draw(st.integers(0, 6)) + draw(COMMENT_TEXT))
        if line.strip() and draw(st.integers(0, 3)) == 0:
            line += " " * draw(st.integers(0, 3)) + draw(COMMENT_TEXT)
        out.append(line)
        if draw(st.integers(0, 8)) == 0:
            out.append("")
    return "\n".join(out)


@settings(**SETTINGS)
@given(commented())
def test_formatting_random_files_is_faithful_and_idempotent(text):
    note(text)
    assert_faithful(text, "random.seg")


@settings(**SETTINGS)
@given(commented(POPULATION))
def test_formatting_random_files_with_population_functions(text):
    note(text)
    assert_faithful(text, "random.seg")


@settings(**SETTINGS)
@given(st.sampled_from(SHIPPED).flatmap(lambda p: commented(text=p.read_text(encoding="utf-8"))))
def test_formatting_shipped_files_with_comments_added_is_faithful(text):
    """The shipped files have tests, tables and records the generator does not write."""
    note(text)
    assert_faithful(text, "shipped.seg")
