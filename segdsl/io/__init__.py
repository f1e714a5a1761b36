"""Data in and out: streaming readers, row validation against an input
schema, and atomic writers for results and rejected rows.

The names below are loaded on first use (PEP 562): `check` and `compile` need
only io/atomic.py, and importing the readers, the validator and the writers
with it cost them 0.025 s of start-up."""
from __future__ import annotations

import importlib

_WHERE = {
    "InputError": "errors",
    "DEFAULT_BATCH_SIZE": "readers", "RawRow": "readers", "columns": "readers", "detect_format": "readers",
    "expand": "readers", "iter_files": "readers", "read_batches": "readers", "read_rows": "readers",
    "RowValidator": "validate", "check_columns": "validate",
    "OutputColumn": "writers", "OutputWriter": "writers", "QuarantineWriter": "writers", "open_output": "writers",
    "open_quarantine": "writers", "output_format": "writers",
}

__all__ = list(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
