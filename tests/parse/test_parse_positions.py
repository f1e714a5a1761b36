"""segdsl's parser skips Lark's no-op position propagation for inlined rules handing on
their only child (syntax/parse.py): every node of every tree must still carry exactly the
positions stock Lark gives it, containers included (a parenthesised operand's span starts
at its `(`)."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from lark import Lark, Tree
from lark.parse_tree_builder import PropagatePositions

from segdsl.syntax import parse
from tests.property.rulesets import POPULATION, rulesets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "examples"
FIELDS = ("empty", "line", "column", "end_line", "end_column", "start_pos", "end_pos",
          "container_line", "container_column", "container_end_line", "container_end_column")


def stock() -> Lark:
    return Lark(parse.GRAMMAR_PATH.read_text(encoding="utf-8"), **parse.OPTIONS)


STOCK = stock()


def positions(tree: Tree) -> list:
    return [(t.data, *(getattr(t.meta, f, None) for f in FIELDS)) for t in tree.iter_subtrees_topdown()]


def same_as_lark(text: str) -> None:
    ours, theirs = parse.parser().parse(text, start="start"), STOCK.parse(text, start="start")
    assert ours == theirs
    assert positions(ours) == positions(theirs)


def test_the_parser_skips_the_no_op_propagation():
    callbacks = parse.parser()._callbacks.values()
    assert any(type(c) is parse._InlinedKeepTheirPositions for c in callbacks)
    assert not any(type(c) is PropagatePositions for c in callbacks)


def test_every_example_has_lark_s_positions():
    for path in sorted(FIXTURES.glob("*.seg")):
        same_as_lark(path.read_text(encoding="utf-8"))


def test_parenthesised_and_nested_operands_have_lark_s_positions():
    same_as_lark('ruleset t\ninput customer key id {\n  id: string\n  a: int\n  b: int?\n}\n'
                 'let x = ((a + 1) * -(b)) / (a)\n'
                 'dimension d first {\n  segment s "标签" when not (x > 1 or (a between 1 and (b))) and b is not null\n'
                 '  segment t when a in [1, (2), -3] and f(a, desc by (b))\n  otherwise o\n}\n')


@settings(max_examples=60, deadline=None)
@given(rulesets(POPULATION))
def test_random_rule_files_have_lark_s_positions(text):
    same_as_lark(text)
