"""Keys in ascending order prove that none repeats (engines/arrow.AscendingKeys), so the
DuckDB engine's clean pass skips counting distinct keys; any other order still counts them.
Either way the answer is the Python engine's."""
from __future__ import annotations

import pyarrow as pa
import pytest

from segdsl.engines.arrow import AscendingKeys
from tests.engines.test_duckdb_parquet import CLEAN, rules, run_both, write  # noqa: F401 (fixture)

C3 = ("c3", 5.0, None, 0, None, None, None, None)


@pytest.mark.parametrize("rows", [
    CLEAN + [C3],                                     # ascending: no count needed
    [C3] + CLEAN,                                     # not ascending, no repeat
    CLEAN + [CLEAN[-1]],                              # ascending up to a repeat of the last key
    [CLEAN[0], C3, CLEAN[1], CLEAN[0]],               # not ascending, a repeat
], ids=["ascending", "unordered", "repeat_next_to_itself", "unordered_repeat"])
def test_any_key_order_gives_the_python_engines_answer(tmp_path, rules, rows):
    data = tmp_path / "in.parquet"
    write(data, rows)
    outs = run_both(tmp_path, rules, data, "--on-error", "quarantine", suffix=".parquet")
    assert outs["duckdb"] == outs["python"]
    repeats = len(rows) - len({r[0] for r in rows})
    assert outs["duckdb"][2].count(b"appears twice") == repeats


def _table(keys, kind=pa.string()):
    return pa.table({"k": pa.array(keys, kind)})


@pytest.mark.parametrize("batches, holds", [
    ([["a", "b"], ["c"], [], ["d", "e"]], True),
    ([["a", "b"], ["b", "c"]], False),                # equal across two batches
    ([["a", "c"], ["b"]], False),                     # smaller across two batches
    ([["a", "a"]], False),
    ([["b", "a"]], False),
    ([["a", None]], False),                           # a null key is never proven
    ([["Z", "a", "é", "中"]], True),                   # UTF-8 bytes order = code point order
], ids=["ascending", "equal_across", "down_across", "equal", "down", "null", "code_points"])
def test_ascending_keys(batches, holds):
    seen = AscendingKeys("k")
    for b in batches:
        seen.see(_table(b))
    assert seen.holds is holds


def test_ascending_whole_numbers_and_dates():
    import datetime as dt
    for keys, kind in (([1, 5, 10], pa.int64()), ([dt.date(2026, 1, d) for d in (1, 2, 30)], pa.date32())):
        seen = AscendingKeys("k")
        seen.see(_table(keys[:2], kind))
        seen.see(_table(keys[2:], kind))
        assert seen.holds
        seen.see(_table(keys[:1], kind))
        assert not seen.holds
