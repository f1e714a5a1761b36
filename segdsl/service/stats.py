"""Frozen population statistics: `segdsl stats` writes them, `apply --stats` reads them.

A stats file holds every population value the ruleset needs (cut points,
means, totals, and for percent_rank and cume_share the whole distribution of
distinct values), with the ruleset's hash and the inputs' row counts. With it
a daily increment is segmented with last month's cut points, and the Python
engine needs no first pass (it streams).
"""
from __future__ import annotations

import json
from pathlib import Path

from .. import ir
from ..runtime import population
from ..backends.python import compile_program, compute_stats
from ..engines.errors import fail
from ..engines.options import ApplyOptions
from ..engines.rows import InputRows

FORMAT = "segdsl-stats/1"


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
                      **population.to_json(stat)})
    return {
        "format": FORMAT, "ruleset": rs.name, "version": rs.version, "source_hash": rs.source_hash,
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


def load(path: Path, rs: ir.Ruleset) -> dict[int, population.Stat]:
    """The frozen statistics by stat id; refuses a file made for another version of the rules."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fail("no-file", "stats", path, "no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail("not-stats", "stats", path, f"not a stats file ({exc})") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise fail("not-stats", "stats", path, f"not a segdsl stats file (expected format {FORMAT})")
    if content.get("source_hash") != rs.source_hash:
        raise fail("stale-stats", "stats", path, f"made for another version of the rules "
                   f"(ruleset `{content.get('ruleset')}` version {content.get('version')!r}); "
                   f"run `segdsl stats` again for this rule file")
    frozen = {}
    for entry in content.get("stats", []):
        node = rs.population[entry["id"]]
        if entry.get("func") != node.func:
            raise fail("stale-stats", "stats", path, f"statistic {entry['id']} is `{entry.get('func')}`, "
                       f"the rules need `{node.func}`")
        frozen[node.id] = population.from_json(entry)
    return frozen
