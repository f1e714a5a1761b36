"""IR → Plan: small passes over the typed IR, run in one ordered tuple.

sqlglot's optimizer is the model: each pass is a function in a module of
its own that takes the plan built so far and returns the next one
(`pipeline.PASSES`). `build_plan` runs them once per ruleset and set of
pinned lets.
"""
from .pipeline import PASSES, build_plan, run_passes
from .plan import HoistedAggregate, Plan

__all__ = ["PASSES", "Plan", "HoistedAggregate", "build_plan", "run_passes"]
