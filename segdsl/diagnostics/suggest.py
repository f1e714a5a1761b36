"""Did-you-mean: the closest known name to a misspelt one (rapidfuzz)."""
from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process


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


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    best = closest(name, candidates)
    return f"did you mean `{best}`?" if best else None
