"""The bad-row policy every engine applies: fail, skip or quarantine.

Engines that meet rows in file order (the streaming paths) settle a bad row
at once, so `fail` stops the run at the first one. Engines that meet rows out
of order (joins, two passes, SQL) collect them and settle them at the end,
in input order and row order: every engine then fails on, skips or
quarantines the same rows in the same order, with the same words. The
inputs' names and the check of which inputs a run was given are here too,
where every engine and the application service find them without loading
the engines' common ground (base.py).
"""
from __future__ import annotations

from .. import ir
from .errors import fail
from .options import ApplyOptions, DataError, Summary


class BadRows:
    def __init__(self, rs: ir.Ruleset, opts: ApplyOptions, summary: Summary):
        self.rs, self.opts, self.summary = rs, opts, summary
        self.quarantine = None            # the quarantine writer, once open (output.open_writers)
        self.in_order = False             # True where rows are met in file order
        self.pending: list = []

    def add(self, name: str, raw, reason: str) -> None:
        """A bad row of input `name`: settled now (in order) or at the end."""
        if self.in_order:
            self.settle_one(name, raw, reason)
        else:
            self.pending.append(((self._input_rank(name), raw.order), name, raw, reason))

    def restart(self) -> None:
        """Forget the rows collected so far: a run starting again on another path meets them again."""
        self.pending = []

    def settle(self, exc_type=None, exc=None, tb=None) -> None:
        """Applies the policy to the collected bad rows, in input and row order (an ExitStack exit)."""
        if exc_type is not None:
            return
        pending, self.pending = sorted(self.pending, key=lambda b: b[0]), []
        for _, name, raw, reason in pending:
            self.settle_one(name, raw, reason)

    def settle_one(self, name: str, raw, reason: str) -> None:
        path = raw.path or self.opts.inputs[name]
        where = f"row {raw.row}" + (f" (line {raw.line})" if raw.line else "")
        if self.opts.on_error == "fail":
            raise DataError(f"{path} {where}: {reason}")
        self.summary.rejected[name] = self.summary.rejected.get(name, 0) + 1
        if self.quarantine is not None:
            self.quarantine.add(raw, f"{name}: {reason}" if len(self.opts.inputs) > 1 else reason)

    def _input_rank(self, name: str) -> int:
        return input_names(self.rs).index(name)


def input_names(rs: ir.Ruleset) -> list[str]:
    """The ruleset's inputs: the customer input first, then related inputs in declaration order."""
    return ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]


def check_inputs(rs: ir.Ruleset, given: list[str]) -> None:
    """Every input given is one the ruleset has, and the one it needs is there (the
    customer input, else the first related one)."""
    names = input_names(rs)
    unknown = [n for n in given if n not in names]
    if unknown:
        raise fail("unknown-input", "input", unknown[0],
                   f"the ruleset has no input `{unknown[0]}` (inputs: {', '.join(names)})", usage=True)
    missing = [n for n in names[:1] if n not in given]
    if missing:
        raise fail("missing-input", "input", missing[0], f"give the `{missing[0]}` input", usage=True)
