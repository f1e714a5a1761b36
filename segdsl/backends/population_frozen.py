"""Frozen population values (a stats file from `segdsl stats`) baked into SQL."""
from __future__ import annotations


def frozen_ctes(node, stat, args: str, key: str):
    raise NotImplementedError
