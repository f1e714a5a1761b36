"""Analyses of a checked ruleset that warn about rules which run but are likely wrong.

`lint(ruleset, uses)` is the one entry: the front end calls it once a file
checks without errors. Each analysis is a function of its own, run from the
tuples in lints.py, so a new one (a solver-backed reachability check, say)
is one module and one line there.
"""
from .lints import DIMENSION_LINTS, RULESET_LINTS, lint

__all__ = ["DIMENSION_LINTS", "RULESET_LINTS", "lint"]
