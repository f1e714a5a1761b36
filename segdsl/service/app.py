"""The application service: what `segdsl` does, under both the CLI and the Python API.

check, test, apply, compile and stats live here once; the command line
(cli.py) parses arguments and renders, the Python API (api.py) shapes
Python values (kinds of tables, pins, records). Wrong use and failed runs
are raised as Problems (engines/errors.py: code, where, value, detail),
never as sentences naming a flag or a parameter: each caller words them in
its own terms, in one place. Bad rows keep their one wording everywhere.

Further commands (explain, diff, report, fmt) are functions beside these.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .. import ir
from ..check.frontend import CheckResult, check_file
from ..engines import registry
from ..engines.base import Engine, check_inputs
from ..engines.errors import fail
from ..engines.options import ApplyOptions, Summary

if TYPE_CHECKING:
    import pyarrow as pa

ON_ERROR = ("fail", "skip", "quarantine")
TEST_ENGINES = ("python", "interp")
SQL_AS = ("select", "view", "table")


# ---- check ---------------------------------------------------------------------

def check(path: str | Path, allow_imports_outside: bool = False) -> CheckResult:
    """A rule file (and its imports) parsed, type-checked and linted."""
    return check_file(path, allow_imports_outside=allow_imports_outside)


# ---- test ----------------------------------------------------------------------

def run_tests(rs: ir.Ruleset, params: dict, engine: str = "python"):
    """The file's `test` blocks on `engine` (python: the generated code; interp: the reference
    interpreter): a TestReport."""
    from .testing import run_tests as run
    return run(rs, params, _test_evaluator(engine))


def _test_evaluator(engine: str):
    if engine == "interp":
        from .testing import interpret
        return interpret
    if engine == "python":
        from functools import partial

        from ..backends.python import evaluate_with_generated
        return partial(evaluate_with_generated, lenient=True)
    raise fail("unknown-engine", "engine", engine, f"choose {' or '.join(TEST_ENGINES)}", usage=True)


# ---- apply ---------------------------------------------------------------------

def keep_columns(keep: str | Sequence[str] | None) -> tuple[str, ...]:
    """Input columns to carry through: "a,b", ["a", "b"], or "all" (every column)."""
    if keep is None:
        return ()
    if isinstance(keep, str):
        if keep.strip() == "all":
            return ("*",)
        keep = keep.split(",")
    cols = tuple(str(c).strip() for c in keep if str(c).strip())
    if "_row" in cols:
        raise fail("reserved-column", "keep", "_row", "`_row` is the output's own row number column", usage=True)
    return cols


def null_values(values: str | Sequence[str] | None) -> tuple[str, ...]:
    """Extra null spellings: "NA,NULL" or ["NA", "NULL"]."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = values.split(",")
    return tuple(v for v in values if v)


def check_on_error(on_error: str, allowed: Sequence[str] = ON_ERROR) -> str:
    if on_error not in allowed:
        raise fail("bad-choice", "on_error", on_error, f"choose {_choices(allowed)}", usage=True)
    return on_error


def check_batch_size(batch_size: Any) -> int:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise fail("bad-number", "batch_size", batch_size, "give a positive whole number", usage=True)
    return batch_size


def input_files(rs: ir.Ruleset, given: Mapping[str, str]) -> dict[str, Path]:
    """Input name → file (or pattern of files) to read: every name one the ruleset has, every
    file there, every pattern matching at least one file."""
    import glob

    from ..io.errors import InputError
    from ..io.readers import expand
    check_inputs(rs, list(given))
    files: dict[str, Path] = {}
    for name, path in given.items():
        if glob.has_magic(path):
            try:
                found = expand(path)
            except InputError:
                found = []
            if not found:
                raise fail("no-file", "input", f"{name}={path}", "no file matches", usage=True)
        elif not Path(path).exists():
            raise fail("no-file", "input", f"{name}={path}", "no such file", usage=True)
        files[name] = Path(path)
    return files


def engine_for(name: str, options: ApplyOptions, rs: ir.Ruleset | None = None) -> Engine:
    """The engine called `name`, if it takes every option given and can run the ruleset."""
    engine = registry.get(name)
    takes = engine.supports
    if options.memory_limit is not None and not takes.memory_limit:
        raise fail("not-for-engine", "memory_limit", options.memory_limit,
                   f"the {name} engine takes no memory limit ({_engines_with('memory_limit')} does)", usage=True)
    if options.master is not None and not takes.master:
        raise fail("not-for-engine", "master", options.master,
                   f"the {name} engine takes no master URL ({_engines_with('master')} does)", usage=True)
    if options.stats is not None and not takes.frozen_stats:
        raise fail("not-for-engine", "stats", None, f"the {name} engine takes no frozen population values", usage=True)
    if rs is not None and rs.related and not takes.related_inputs:
        raise fail("not-supported", "engine", name, "runs no ruleset with related inputs")
    if rs is not None and rs.population and not takes.population:
        raise fail("not-supported", "engine", name, "runs no population functions")
    return engine


def _engines_with(ability: str) -> str:
    found = [n for n in registry.available() if getattr(registry.get(n).supports, ability)]
    return " or ".join(found) or "no engine here"


def apply(rs: ir.Ruleset, engine: str, options: ApplyOptions) -> Summary:
    """Segments the files of `options.inputs` on `engine`; writes `options.output` if given."""
    from ..passes import build_plan
    chosen = engine_for(engine, options, rs)
    return chosen.apply(build_plan(rs), options)


def apply_tables(rs: ir.Ruleset, engine: str, tables: Mapping[str, "pa.Table"], options: ApplyOptions,
                 names: Mapping[str, str] | None = None) -> "tuple[pa.Table | None, Summary]":
    """Segments Arrow tables by input name (besides files in `options.inputs`); `names` says how
    messages call each table. The result table, or None when written to `options.output`."""
    from ..passes import build_plan
    check_inputs(rs, [*options.inputs, *tables])
    chosen = engine_for(engine, options, rs)
    return chosen.run_tables(build_plan(rs), tables, options, names)


def default_quarantine(options: ApplyOptions) -> Path | None:
    """Where quarantined rows go when no place is given: next to the output, else the input."""
    return replace(options, on_error="quarantine").quarantine_path()


# ---- stats ---------------------------------------------------------------------

def compute_stats(rs: ir.Ruleset, options: ApplyOptions) -> dict:
    """The content of a stats file (`segdsl stats`): every population value, frozen."""
    from . import stats
    check_on_error(options.on_error, ("fail", "skip"))
    check_inputs(rs, list(options.inputs))
    return stats.compute(rs, options)


def write_stats(path: Path, content: dict) -> None:
    from . import stats
    stats.write(path, content)


def load_stats(path: str | Path, rs: ir.Ruleset) -> dict:
    """Frozen population values by stat id; refused if made for another version of the rules."""
    from . import stats
    return stats.load(Path(path), rs)


# ---- compile -------------------------------------------------------------------

def compile_python(rs: ir.Ruleset) -> str:
    """The generated Python source the Python engine runs."""
    from ..backends.python import generate
    return generate(rs)[0]


def compile_sql(rs: ir.Ruleset, params: dict, dialect: str = "duckdb", tables: Mapping[str, str] | None = None,
                labels: bool = False, attributes: bool = False, as_: str | None = None,
                name: str | None = None) -> str:
    """One SELECT for `dialect` (or CREATE VIEW/TABLE `name` AS it, with `as_`), reading each
    input from `tables[input]` (default: the input's name). A construct the SQL backend cannot
    express yet raises backends.sql.NotSupported."""
    import sqlglot

    from ..backends.sql import to_sql
    if dialect not in sqlglot.Dialect.classes:
        raise fail("unknown-dialect", "dialect", dialect,
                   f"unknown; sqlglot knows {', '.join(sorted(sqlglot.Dialect.classes))}", usage=True)
    names = ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]
    tables = dict(tables or {})
    unknown = [n for n in tables if n not in names]
    if unknown:
        raise fail("unknown-input", "table", unknown[0],
                   f"the ruleset has no input `{unknown[0]}` (inputs: {', '.join(names)})", usage=True)
    if as_ not in (None, *SQL_AS):
        raise fail("bad-choice", "as", as_, f"choose {_choices(SQL_AS)}", usage=True)
    if as_ in ("view", "table") and not name:
        raise fail("missing-name", "name", None, f"needed to create a {as_}", usage=True)
    return to_sql(rs, params, dialect, tables={n: tables.get(n, n) for n in names}, labels=labels,
                  attributes=attributes, create=(as_, name) if as_ in ("view", "table") else None)


def _choices(options: Sequence[str]) -> str:
    return ", ".join(options[:-1]) + " or " + options[-1] if len(options) > 1 else options[0]
