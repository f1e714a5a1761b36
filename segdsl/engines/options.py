"""What every engine is asked to do (ApplyOptions) and what it reports (Summary)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import DataError, Problem  # noqa: F401  (re-exported: every engine raises them)


@dataclass(frozen=True)
class ApplyOptions:
    """What an engine is asked to do in one run: inputs and output, param values, the bad-row policy
    and how files are read and written. Every engine takes the same options."""
    inputs: dict[str, Path]                  # input name → file
    output: Path | None = None
    params: dict = field(default_factory=dict)
    on_error: str = "fail"                   # fail | skip | quarantine
    quarantine: Path | None = None
    labels: bool = False
    attributes: bool = False
    keep: tuple[str, ...] = ()               # input columns carried through; ("*",) for all
    delimiter: str | None = None
    encoding: str = "utf-8"
    output_encoding: str = "utf-8"           # CSV and JSONL outputs (io/writers.TextStyle)
    csv_safe: bool = False                   # `'` before formula-looking CSV text cells
    null_values: tuple[str, ...] = ()
    date_format: str | None = None
    batch_size: int = 50_000
    progress: Callable[[str, int], None] | None = None   # called with (input name, rows) after each batch read
    stats: dict | None = None                # frozen population statistics by stat id (`--stats`)
    memory_limit: str | None = None          # the engine's memory cap, e.g. "2GB" (DuckDB)
    master: str | None = None                # the cluster's master URL (Spark): spark://, sc:// (Connect), local[N]
    spark_conf: tuple[tuple[str, str], ...] = ()   # Spark session settings, (key, value) in the order given
    output_dir: bool = False                 # `output` is a directory of part files (Spark), or table:NAME
    output_format: str | None = None         # the output's format when its name does not say (parquet, csv, jsonl)
    quarantine_dir: bool = False             # `quarantine` is a directory of part files written by Spark

    def quarantine_path(self) -> Path | None:
        if self.on_error != "quarantine":
            return None
        if self.quarantine is not None:
            return self.quarantine
        base = self.output if self.output is not None else next(iter(self.inputs.values()))
        if str(base).startswith("table:"):            # a catalog table: beside the first input, else here
            first = next(iter(self.inputs.values()))
            base = first if not str(first).startswith("table:") and "://" not in str(first) \
                else Path(str(base)[len("table:"):].split(".")[-1] or "output")
        name = base.name.split(".")[0].translate({ord(c): None for c in "*?[]"}) or "input"
        return base.with_name(f"{name}.rejected.csv")


@dataclass
class Summary:
    """What a run reports: rows read and rejected per input, customers, rows written, related rows
    with no customer, the files written and how many customers each segment got."""
    read: dict[str, int] = field(default_factory=dict)       # rows read per input
    rejected: dict[str, int] = field(default_factory=dict)   # bad rows per input
    customers: int = 0
    written: int = 0
    orphans: int = 0
    on_error: str = "fail"
    quarantine_file: str | None = None
    output_file: str | None = None
    segments: dict[str, Counter] = field(default_factory=dict)   # dimension → segment → customers

    @property
    def skipped(self) -> int:
        return sum(self.rejected.values()) if self.on_error == "skip" else 0

    @property
    def quarantined(self) -> int:
        return sum(self.rejected.values()) if self.on_error == "quarantine" else 0

    def as_dict(self) -> dict:
        return {
            "read": self.read, "customers": self.customers, "written": self.written,
            "skipped": self.skipped, "quarantined": self.quarantined, "orphans": self.orphans,
            "output": self.output_file, "quarantine": self.quarantine_file,
            "segments": {d: dict(c) for d, c in self.segments.items()},
        }


@dataclass(frozen=True)
class LazyResult:
    """A frame segmented lazily (engines/spark_lazy.py, engines/polars_lazy.py): the segments,
    and the bad rows under the quarantine policy (else None), both of the input's library."""
    result: Any
    rejected: Any = None


def reads_text_plainly(rs, opts) -> bool:
    """Whether a run's text options leave a customer file's cells as the shared reader reads
    them by default (no null spellings, date formats, kept columns, a field's `missing` values,
    encodings other than UTF-8): the condition for an engine's own text reader to be used."""
    if opts.null_values or opts.keep or opts.date_format or rs.customer is None:
        return False
    if any(f.missing for f in rs.customer.fields):      # null spellings of a field's own
        return False
    return opts.encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")

