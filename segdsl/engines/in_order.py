"""A query's result put back into input order as it streams, without sorting it.

The DuckDB engine looks population values up with joins, and DuckDB keeps no
order across the threads that run a join: each thread's output is in order,
but the threads' pieces interleave (in practice whole vectors of the row
groups in flight). An ORDER BY would put them back by holding and sorting
every customer: at 10M customers about 1 GiB and a second of CPU. Here the
stream is cut into runs of consecutive ORDER values and a run goes out as soon
as the run before it has gone out, so what is held is the pieces that came
early: about a row group per thread.

This needs the ORDER values to be exactly first, first + 1, ... (every row of
the input, each once: the Parquet clean pass). Anything else (a gap, a
repeat) leaves rows waiting, which `complete` reports, and the caller starts
again on a path that sorts.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..backends.names import ORDER


class InOrder:
    def __init__(self, first: int = 1):
        self.next = first
        self.waiting: dict[int, pa.Table] = {}    # first ORDER of a run -> the run
        self.broken = False                       # a run seen twice, or one already passed

    def add(self, table: pa.Table) -> list[pa.Table]:
        """The runs, in input order, that can go out now that `table` came."""
        order = table.column(ORDER).to_numpy()
        cuts = [0, *(np.flatnonzero(np.diff(order) != 1) + 1).tolist(), len(order)]
        for start, end in zip(cuts, cuts[1:]):
            first = int(order[start])
            if first < self.next or first in self.waiting:
                self.broken = True
            else:
                self.waiting[first] = table.slice(start, end - start)
        ready = []
        while self.next in self.waiting:
            run = self.waiting.pop(self.next)
            ready.append(run)
            self.next += run.num_rows
        return ready

    @property
    def complete(self) -> bool:
        """Every row that came went out, in order."""
        return not self.waiting and not self.broken
