"""Dependency order of definitions: deterministic, each after what it reads; cycles and
definitions that read a broken one are left out of the order."""
from __future__ import annotations

from segdsl.check.ordering import dependency_order
from tests.helpers import check_text, ruleset

RULES = '''ruleset t
input customer key id { id: string  n: int }
dimension late first { segment x when early = a and twice > 2 otherwise y }
let twice = base * 2
let base = n + 1
dimension early first { segment a when base > 3 otherwise b }
dimension alone first { segment s when n > 0 otherwise t }
'''


def test_each_definition_after_what_it_reads_else_in_declaration_order(tmp_path):
    rs = ruleset(tmp_path, RULES)
    assert [d.name for d in rs.definitions] == ["base", "twice", "early", "late", "alone"]


def test_a_definition_reading_a_name_not_given_is_left_out(tmp_path):
    rs = ruleset(tmp_path, RULES)
    defs = {d.name: d for d in rs.definitions if d.name != "base"}
    ordering = dependency_order(defs)
    assert [d.name for d in ordering.definitions] == ["alone"] and ordering.cycle == ()


def test_a_cycle_is_the_first_one_met_and_its_members_are_left_out(tmp_path):
    r = check_text(tmp_path, RULES.replace("segment a when base > 3", "segment a when late = x"))
    cycles = [d for d in r.diagnostics if d.code == "SEG110"]
    assert [d.message for d in cycles] == ["definitions depend on each other in a cycle: late → early → late"]
    assert cycles[0].span.line == 3
    assert [d.name for d in r.ruleset.definitions] == ["base", "twice", "alone"]
