"""Frozen population statistics: `segdsl stats` writes them, `apply --stats` reads them.

A stats file holds every population value the ruleset needs (cut points,
means, totals, and for percent_rank and cume_share the whole distribution of
distinct values), each with the fingerprint of what it depends on
(fingerprints.py), and the inputs' row counts. With it a daily increment is
segmented with last month's cut points, and the Python engine needs no first
pass (it streams). An edit the statistics do not depend on (a comment, a
label, another dimension) keeps the file valid; one they depend on is
refused, naming what changed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from .. import ir
from ..runtime import population
from ..backends.python import compile_program, compute_stats
from ..engines.errors import fail
from ..engines.options import ApplyOptions
from ..engines.rows import InputRows
from .fingerprints import fingerprint

FORMAT = "segdsl-stats/2"


def compute(rs: ir.Ruleset, opts: ApplyOptions) -> dict:
    """The stats file's content, from a full pass over the inputs."""
    rows = InputRows(rs, opts)
    customers, _ = rows.load_customers(False)
    rows.bad.settle()               # the policy decides on the bad rows met: fail stops here, skip counts
    program = compile_program(rs)
    built = compute_stats(program, customers, opts.params, {})
    stats = []
    for node in rs.population:
        stat = built[node.id]
        if stat is None:
            continue                    # not needed by any dimension
        stats.append({"id": node.id, "where": str(node.span), "params": list(node.params), "by": len(node.by),
                      "depends_on": fingerprint(rs, node, opts.params).to_json(), **population.to_json(stat)})
    return {
        "format": FORMAT, "ruleset": rs.name, "version": rs.version,
        "params": {k: _plain(v) for k, v in opts.params.items()},
        "inputs": {name: {"file": str(path), "rows": rows.summary.read.get(name, 0)}
                   for name, path in opts.inputs.items()},
        "customers": len(customers), "rejected": rows.summary.rejected,
        "stats": stats,
    }


def _plain(v):
    return v.isoformat() if hasattr(v, "isoformat") else v


def write(path: Path, content: dict) -> None:
    from ..io.atomic import write_text_atomic
    write_text_atomic(path, json.dumps(content, ensure_ascii=False, indent=1))


def load(path: Path, rs: ir.Ruleset, params: Mapping[str, Any]) -> dict[int, population.Stat]:
    """The frozen statistics by stat id, for the rules and param values given; refused, naming
    what changed, when a statistic the rules need was frozen from something else."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fail("no-file", "stats", path, "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail("not-stats", "stats", path, f"not a stats file ({exc})") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        found = content.get("format") if isinstance(content, dict) else None
        detail = (f"made by an earlier segdsl ({found}); run `segdsl stats` again"
                  if isinstance(found, str) and found.startswith("segdsl-stats/")
                  else f"not a segdsl stats file (expected format {FORMAT})")
        raise fail("not-stats", "stats", path, detail)
    entries = [e for e in content.get("stats", []) if isinstance(e, dict)]
    frozen = {}
    for node in rs.population:
        mine = fingerprint(rs, node, params)
        entry = next((e for e in entries if e.get("func") == node.func and e.get("depends_on") == mine.to_json()),
                     None)
        if entry is None:
            raise fail("stale-stats", "stats", path, _stale(rs, node, mine, entries))
        frozen[node.id] = population.from_json(entry)
    return frozen


def _stale(rs: ir.Ruleset, node: ir.PopulationStat, mine, entries: list[dict]) -> str:
    """Why a statistic the rules need is not in the file: what it depends on that changed."""
    where = f"the `{node.func}` at {node.span}"
    same_place = next((e for e in entries if e.get("id") == node.id), None)
    if same_place is None:
        return f"{where} is not in this stats file; run `segdsl stats` again for these rules"
    changed = mine.changes(same_place.get("depends_on") or {}) or ["the statistic itself"]
    if same_place.get("func") != node.func:
        changed = [f"the function (`{same_place.get('func')}` when frozen)"]
    return (f"{where} was frozen from other rules: {', '.join(changed)} changed since; "
            f"run `segdsl stats` again for these rules")
