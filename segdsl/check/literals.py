"""Which numbers are values of the language: whole numbers within 64 bits, finite reals.

Every engine holds a whole number in 64 bits (DuckDB's and Spark's BIGINT, a
PostgreSQL bigint) and a real number as a finite IEEE double. A literal
beyond that (`1e400` reads as infinity, `99999999999999999999` needs 67
bits) has no value every engine agrees on: SQL would read `inf` as a column
name and a wide integer as DECIMAL or HUGEINT. So such a number is refused
where it is written, and a param value given on the command line or to the
API is refused by the same rule (`number_problem`), before any backend or
engine sees it.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:        # imported where used: `number_problem` is read by commands that never parse
    from ..syntax import ast as A
    from .context import Context

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1
WHOLE_RANGE = f"{INT64_MIN} to {INT64_MAX}"


def number_problem(value) -> str | None:
    """Why `value` is no number of the language (in the words of a message), or None when it is one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if INT64_MIN <= value <= INT64_MAX else f"outside the 64-bit whole numbers, {WHOLE_RANGE}"
    if isinstance(value, float) and not math.isfinite(value):
        return "not a finite number (no infinity or NaN; the largest is about 1.8e308)"
    return None


def check_number(ctx: Context, e: A.Expr) -> None:
    """SEG217 (and Failed) at a number literal, or a duration's days, that is no number of the language."""
    from ..syntax import ast as A
    v = e.days if isinstance(e, A.Duration) else e.value
    problem = number_problem(v)
    if problem is None:
        return
    if isinstance(v, int):
        ctx.error("SEG217", f"`{v}` is {problem}", e.span,
                  help="a duration holds fewer days" if isinstance(e, A.Duration)
                  else "for a real number write it with a decimal point, e.g. `1.0e20`")
    else:
        ctx.error("SEG217", "this number is too large: the largest is about 1.8e308", e.span,
                  help="rules hold finite numbers; write a smaller one")
    from .context import Failed
    raise Failed


def constant_numbers_ok(ctx: Context, e: A.Expr) -> None:
    """SEG217 at every number inside a written constant (a default, a bound, a test value, a list)."""
    from ..syntax import ast as A
    if isinstance(e, (A.Number, A.Percent)):
        check_number(ctx, e)
    elif isinstance(e, A.ListLit):
        for item in e.items:
            constant_numbers_ok(ctx, item)
