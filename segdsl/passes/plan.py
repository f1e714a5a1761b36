"""The Plan: what every backend and engine consumes, computed once by the passes.

A backend never walks the ruleset to learn what is live, in what order the
population statistics run or which columns are read: it asks the plan. That
is what keeps the generators pure and the engines small.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from .. import ir


@dataclass(frozen=True, slots=True)
class HoistedAggregate:
    """One distinct aggregate over a customer's related rows, computed once per
    customer however many conditions read it. `name` is stable (the order of
    first use) and is what the rewritten IR's `AggregateRef` nodes point at."""
    name: str
    node: ir.Aggregate


@dataclass(frozen=True, slots=True)
class Plan:
    """What the passes computed for one ruleset: the rewritten IR, the live definitions in order, the
    stages of the population statistics, the columns read and the hoisted aggregates."""
    ruleset: ir.Ruleset                                  # rewritten: constants folded, aggregates as AggregateRef
    pinned: frozenset[str]                               # lets fixed to constants (a test's `with`, API pins)
    definitions: tuple[ir.Definition, ...]               # what `evaluate` computes: live, in dependency order
    stages: tuple[tuple[int, ...], ...]                  # live population statistics; a stage reads only earlier ones
    stat_definitions: Mapping[int, tuple[ir.Definition, ...]]   # what each statistic's argument and `by` read
    columns: Mapping[str, tuple[str, ...]]               # input name → fields read (its key included), declared order
    aggregates: tuple[HoistedAggregate, ...]             # every distinct aggregate, once

    @property
    def live_stats(self) -> tuple[int, ...]:
        return tuple(i for stage in self.stages for i in stage)

    def aggregate(self, name: str) -> ir.Aggregate:
        return next(a.node for a in self.aggregates if a.name == name)

    def aggregates_of(self, related: str) -> tuple[HoistedAggregate, ...]:
        return tuple(a for a in self.aggregates if a.node.related == related)


def frozen_map(d: dict) -> Mapping:
    return MappingProxyType(dict(d))
