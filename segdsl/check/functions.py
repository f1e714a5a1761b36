"""The built-in functions, by family. Function names are their own namespace.

The level of the first argument decides between an aggregate (over a
customer's related rows) and a population statistic (over all customers)
for the names that are both (LANGUAGE.md §11).
"""
from __future__ import annotations

SCALARS = {
    # name: (min args, max args)
    "coalesce": (2, 16),
    "lower": (1, 1), "upper": (1, 1), "length": (1, 1), "trim": (1, 1),
    "starts_with": (2, 2), "ends_with": (2, 2), "contains": (2, 2),
    "days_between": (2, 2), "year": (1, 1), "month": (1, 1), "day": (1, 1),
    "add_days": (2, 2), "abs": (1, 1),
}

AGGREGATES = {"count", "count_distinct", "sum", "avg", "min", "max"}

POPULATION = {"percent_rank", "ntile", "quantile", "mean", "avg", "median", "min", "max", "sum",
              "count", "cume_share"}

# population functions whose result differs per customer (the others are one scalar per group)
POPULATION_RELATIVE = {"percent_rank", "ntile", "cume_share"}

ALL_FUNCTIONS = sorted(set(SCALARS) | AGGREGATES | POPULATION)
