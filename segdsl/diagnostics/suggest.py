"""Did-you-mean: the known names a misspelt or misremembered one most likely meant.

Spelling alone (rapidfuzz) suggests `ntile` for `percentile`; analysts mean
`percent_rank` or `quantile`. So a small table of words from spreadsheets,
SQL and statistics maps to the functions that do that job (`MEANING`), used
first, the closest spelling after; and a name glued to a keyword typed before
it without a space (`not信用`) says so.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process

# a word people reach for → the names that do that job (only those among the candidates are offered)
MEANING: dict[str, tuple[str, ...]] = {
    "percentile": ("percent_rank", "quantile"), "percentrank": ("percent_rank",), "pct_rank": ("percent_rank",),
    "rank": ("percent_rank", "ntile"), "quartile": ("ntile", "quantile"), "quintile": ("ntile",),
    "decile": ("ntile",), "bucket": ("ntile",), "bin": ("ntile",), "tile": ("ntile",),
    "average": ("avg", "mean"), "averageif": ("avg",), "mean": ("avg", "mean"), "avg": ("avg", "mean"),
    "total": ("sum",), "sumif": ("sum",), "cnt": ("count",), "countif": ("count",),
    "distinct": ("count_distinct",), "nunique": ("count_distinct",), "countd": ("count_distinct",),
    "minimum": ("min",), "maximum": ("max",), "med": ("median",),
    "len": ("length",), "strlen": ("length",), "char_length": ("length",), "strip": ("trim",),
    "ucase": ("upper",), "lcase": ("lower",), "datediff": ("days_between",), "date_diff": ("days_between",),
    "dateadd": ("add_days",), "date_add": ("add_days",), "ifnull": ("coalesce",), "nvl": ("coalesce",),
    "isnull": ("coalesce",), "iferror": ("coalesce",), "like": ("contains",), "instr": ("contains",),
    "includes": ("contains",), "find": ("contains",), "absolute": ("abs",), "cumshare": ("cume_share",),
    "share": ("cume_share",), "cumsum": ("cume_share",), "pareto": ("cume_share",),
}


def closest(name: str, candidates: Iterable[str], cutoff: float = 60.0) -> str | None:
    choices = [c for c in dict.fromkeys(candidates) if c != name]
    if not choices:
        return None
    lower = name.lower()
    for c in choices:              # `Arpu` for `arpu`: case alone is the likeliest slip
        if c.lower() == lower:
            return c
    hit = process.extractOne(name, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
    return hit[0] if hit else None


def by_meaning(name: str, candidates: Iterable[str]) -> list[str]:
    """The candidates that do what `name` means in other tools (`percentile` → percent_rank, quantile)."""
    known = set(candidates) - {name}
    return [m for m in MEANING.get(name.lower(), ()) if m in known]


_GLUED = re.compile(r"([a-z]+)([^\W\d_a-zA-Z]\w*)")     # ASCII word, then a name that starts with e.g. CJK


def glued(name: str, candidates: Iterable[str]) -> tuple[str, str] | None:
    """`not信用` is `not` and `信用` typed without a space: (word, name) when the rest is a candidate."""
    m = _GLUED.fullmatch(name)
    if m and m.group(2) in set(candidates):
        return m.group(1), m.group(2)
    return None


def _either(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    candidates = list(candidates)
    split = glued(name, candidates)
    if split is not None:
        word, rest = split
        return f"add a space after `{word}`: `{word} {rest}`"
    names = by_meaning(name, candidates)
    best = closest(name, candidates)
    if best is not None and best not in names:
        names.append(best)
    return f"did you mean {_either(names)}?" if names else None
