"""Errors as values: what went wrong, with which option, in neutral words.

An engine or the application service never names a command-line flag or a
Python parameter: it says which option (`where`, a neutral name such as
"engine", "keep", "stats", "input", "memory_limit") and the value given,
and the detail. The command line renders a Problem with its flag names
(`--engine spark: ...`), the Python API with its parameter names
(`engine='spark': ...`), each in one place (cli.py, api.py).

Bad rows are not Problems: their message (file, row, column, reason) is the
same everywhere, so a DataError may carry plain text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """What is wrong with one option, in neutral words; the command line and the Python API each word
    it with their own name for the option."""
    code: str                   # stable and short: "unknown-engine", "no-column", ...
    where: str                  # the option, by neutral name: "engine", "keep", "input", ...
    value: Any                  # what was given for it (None: the option as a whole)
    detail: str                 # what is wrong, without the option's name
    usage: bool = False         # wrong use (exit code 2) rather than a failed run (exit code 1)

    def __str__(self) -> str:
        head = self.where if self.value is None else f"{self.where} {self.value}"
        return f"{head}: {self.detail}"


class DataError(Exception):
    """A run that cannot go on (exit code 1): bad data, named by file, row and column,
    or a Problem with an option (then `problem` is set and renderers word it)."""

    def __init__(self, message: "str | Problem", problem: Problem | None = None) -> None:
        self.problem = message if isinstance(message, Problem) else problem
        super().__init__(str(message))


class UsageProblem(Exception):
    """Wrong use (exit code 2): a Problem the caller should fix before anything runs."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def fail(code: str, where: str, value: Any, detail: str, *, usage: bool = False) -> Exception:
    """The exception that carries a Problem: UsageProblem for wrong use, DataError otherwise."""
    problem = Problem(code, where, value, detail, usage)
    return UsageProblem(problem) if usage else DataError(problem)
