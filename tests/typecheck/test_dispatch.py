"""The expression checker has one `check_<Node>` method per kind of AST expression."""
from __future__ import annotations

import inspect

from segdsl.check.expressions import ExpressionChecker
from segdsl.syntax import ast as A


def test_every_expression_node_has_its_check_method_and_nothing_else_does():
    nodes = {name for name, cls in inspect.getmembers(A, inspect.isclass)
             if issubclass(cls, A.Expr) and cls is not A.Expr}
    methods = {name.removeprefix("check_") for name in dir(ExpressionChecker) if name.startswith("check_")}
    assert methods == nodes
