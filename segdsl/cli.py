"""The `segdsl` command line: parses arguments, calls the application service, renders.

No segmentation logic lives here (segdsl/service/app.py has it, shared with
the Python API). A Problem from the service is worded here, with flag names
(`_words`). Exit codes: 0 fine (warnings included unless --strict), 1
problems in the rules or the data, 2 wrong usage.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import errno
import functools
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from . import cli_plain, collector, i18n
from .backends.errors import NotSupported
from .diagnostics import render
from .diagnostics.codes import Severity
from .engines import registry
from .engines.errors import DataError, Problem, UsageProblem
from .service import app as service
from .service.params import parse_assignments, resolve_params

if TYPE_CHECKING:
    from .check.frontend import CheckResult


class _Group(TyperGroup):
    """The command group, its options read without pydantic (cli_values.py: most of a
    short command's start-up was typer building pydantic readers)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .cli_values import install
        install(self)


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True, rich_markup_mode=None,
                  cls=_Group, help="segdsl: customer-segmentation rules, checked, tested and compiled.")


class _Unwritable(Exception):
    """A standard stream refused what the command wrote: a full disk, a reader that went away."""

    def __init__(self, stream: str, error: OSError):
        super().__init__(stream)
        self.stream, self.error = stream, error


class _Console:
    """A rich console that shows each line the command line writes in the user's language
    (segdsl.i18n): a line the catalog has no entry for stays as it is. rich is imported on
    the first line written: a command that writes nothing through it does not pay for it.
    A stream that cannot be written is `_Unwritable`, which `_run` words."""

    def __init__(self, **options):
        self._options = options
        self._console = None

    @contextlib.contextmanager
    def _writing(self):
        try:
            yield
        except OSError as exc:
            raise _Unwritable("standard error" if self._options.get("stderr") else "standard output", exc) from None

    def _file(self):
        return sys.stderr if self._options.get("stderr") else sys.stdout

    def raw(self, text: str, end: str = "\n") -> None:
        """`text` written as it is, not through rich: JSON, SARIF, generated code, and the plain
        text cli_plain.py gives."""
        file = self._file()
        with self._writing():
            file.write(text + end)
            file.flush()

    def _rich(self):
        if self._console is None:
            from rich.console import Console
            self._console = Console(**self._options)
        return self._console

    def print(self, *objects, **kwargs):
        objects = tuple(i18n.translate(o) if isinstance(o, str) else o for o in objects)
        with self._writing():
            if not self._plain(objects, kwargs):
                self._rich().print(*objects, **kwargs)

    def _plain(self, objects: tuple, kwargs: dict) -> bool:
        """Text written without rich (cli_plain.py), where rich would write the same bytes:
        plain lines with markup off, to a stream that is not a terminal."""
        if set(kwargs) - {"markup", "end"} or kwargs.get("markup", True) \
                or not all(isinstance(o, str) for o in objects) or not cli_plain.stream_is_plain(self._file()):
            return False
        text = cli_plain.line(" ".join(objects))
        if text is None:
            return False
        self.raw(text, kwargs.get("end", "\n"))
        return True

    def table(self, title: str, headers: list[str], right: list[bool], rows: list[list[str]]) -> None:
        """A table of texts (none of them markup) under a title, as rich draws it."""
        if cli_plain.stream_is_plain(self._file()) and (width := cli_plain.console_width()) is not None:
            text = cli_plain.table(title, headers, right, rows, width)
            if text is not None:
                self.raw(text, end="")
                return
        from rich.table import Table
        from rich.text import Text
        t = Table(title=Text(title), title_justify="left")
        for header, r in zip(headers, right):
            t.add_column(Text(header), justify="right" if r else "left")
        for row in rows:
            t.add_row(*map(Text, row))
        with self._writing():
            self._rich().print(t)

    def __getattr__(self, name):
        return getattr(self._rich(), name)


# emoji codes off: `:fire:` in a file name or a label is shown as written
out = _Console(highlight=False, soft_wrap=True, emoji=False)
err = _Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


class Lang(str, Enum):
    zh = "zh"
    en = "en"


@app.callback()
def _options(lang: Annotated[Optional[Lang], typer.Option(
        "--lang", help="zh or en: the language of messages (default: the locale, LANG=zh_CN.UTF-8 is Chinese)")] = None,
             ) -> None:
    """segdsl: customer-segmentation rules, checked, tested and compiled."""
    i18n.set_language(lang.value if lang is not None else None)


def _translated_help(command) -> None:
    """The help texts of a command and its subcommands in the user's language."""
    command.help = i18n.translate(command.help or "")
    for param in command.params:
        if getattr(param, "help", None):
            param.help = i18n.translate(param.help)
    for sub in getattr(command, "commands", {}).values():
        _translated_help(sub)


def _language_asked(argv: list[str]) -> str | None:
    """`--lang X` or `--lang=X` among the arguments, before the help is written."""
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
    return None


class UsageError(Exception):
    """Arguments the command line cannot parse (exit code 2)."""


_FLAGS = {"engine": "--engine", "input": "--input", "keep": "--keep", "stats": "--stats", "master": "--master",
          "spark_conf": "--spark-conf",
          "memory_limit": "--memory-limit", "param": "--param", "dialect": "--dialect", "table": "--table",
          "on_error": "--on-error", "batch_size": "--batch-size", "as": "--as", "name": "--name",
          "old": "OLD", "domain": "DOMAIN", "directory": "DIR"}


def _words(problem: Problem) -> str:
    """A Problem in the command line's words: the flag, the value given, what is wrong."""
    if problem.code == "missing-param":
        return f"param `{problem.value}` has no default: give it with --param {problem.value}=VALUE"
    if problem.where == "config":           # the project's pyproject.toml, not a flag
        return f"{problem.value}: {problem.detail}"
    if problem.where == "files":          # the command's arguments: no flag to name
        return f"{problem.value}: {problem.detail}"
    flag = _FLAGS.get(problem.where, "--" + problem.where.replace("_", "-"))
    head = flag if problem.value is None else f"{flag} {problem.value}"
    return f"{head}: {problem.detail}"


def _message(exc: Exception) -> str:
    """A failure in words, safe for a terminal: data values are quoted escaped where the message is
    made, and whatever else came from the data (a column name, a path) is shown as rule text is."""
    problem = getattr(exc, "problem", None)
    return render.visible(_words(problem) if problem is not None else str(exc))


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it unwinds as on Ctrl-C: every file being
    written is removed, the targets stay as they were."""


class _Stop:
    """The signal that stopped the command, if one did. Kept apart from the exception: an
    engine may turn the one raised in its call into one of its own (DuckDB: "Query
    interrupted"), and the command line still reports the interruption."""
    signal: int | None = None


@contextlib.contextmanager
def _signals_unwind(stop: _Stop):
    """Ctrl-C raises KeyboardInterrupt and SIGTERM Terminated while a command runs, both noted
    in `stop`; a second SIGTERM waits for the cleanup."""
    import logging
    import signal
    import threading

    from .io.atomic import request_stop
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stopped(signum, frame):
        stop.signal = signum
        request_stop()                  # nothing is put in place from now on, whatever becomes of the exception
        logging.disable(logging.ERROR)  # libraries logging the cut-short call (py4j): the message below says it
        if signum == signal.SIGTERM:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            raise Terminated()
        raise KeyboardInterrupt()

    def unraisable(info, default=sys.unraisablehook):
        if not isinstance(info.exc_value, KeyboardInterrupt):     # the stop, raised in a finalizer: noted
            default(info)

    previous = {s: signal.signal(s, stopped) for s in (signal.SIGINT, signal.SIGTERM)}
    hook, sys.unraisablehook = sys.unraisablehook, unraisable
    try:
        yield
    finally:
        request_stop(False)
        logging.disable(logging.NOTSET)
        sys.unraisablehook = hook
        for s, handler in previous.items():
            signal.signal(s, handler)


def _stopped_code(stop: _Stop, exc: BaseException) -> int | None:
    """130 for a command Ctrl-C stopped, 143 for one SIGTERM stopped (128 + the signal's
    number, as shells report it), whatever exception the stop became; None otherwise. A
    signal noted but lost on the way (raised inside a finalizer, which Python ignores) still
    ends the command with its code: whoever sent it asked for the command to stop."""
    import signal
    if stop.signal is None and isinstance(exc, typer.Exit):
        return None
    if isinstance(exc, Terminated) or stop.signal == signal.SIGTERM:
        return 143
    if isinstance(exc, KeyboardInterrupt) or stop.signal == signal.SIGINT:
        return 130
    return None


def _usage_errors(fn):
    """Wrong use of the command line: a message and exit code 2, never a traceback.
    A failed run: its message and exit code 1. Stopped by Ctrl-C: exit code 130; by
    SIGTERM: 143."""
    worded = _worded_errors(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        stop = _Stop()
        try:
            with _signals_unwind(stop):
                return worded(*args, **kwargs)
        except BaseException as exc:
            code = _stopped_code(stop, exc)
            if code is None:
                raise
            how = "terminated (SIGTERM)" if code == 143 else "interrupted"
            err.print(f"error: {how}: the command stopped; no file was left half-written", markup=False)
            raise typer.Exit(code) from None
    return wrapper


def _worded_errors(fn):
    """A Problem or a failed run in the command line's words, with its exit code."""
    def worded(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (UsageError, UsageProblem) as exc:
            err.print(f"error: {_message(exc)}", markup=False)
            raise typer.Exit(2)
        except DataError as exc:
            err.print(f"error: {_message(exc)}", markup=False)
            raise typer.Exit(1)
    return worded


class Format(str, Enum):
    text = "text"
    json = "json"


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class TestFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"


def _load(files: list[Path], fmt: Format | None, strict: bool, allow_imports_outside: bool = False,
          analyse: bool = False, budgets: tuple = (None, None)) -> tuple[list["CheckResult"], bool]:
    """Check each file; print the diagnostics as text (stderr) or one JSON array (stdout),
    or not at all (`fmt` None: the caller reports them)."""
    results, failed, all_diags = [], False, []
    for f in files:
        r = service.check(f, allow_imports_outside=allow_imports_outside, analyse=analyse, cached=True,
                          budgets=budgets)
        results.append(r)
        all_diags.extend(r.diagnostics)
        if not r.ok or (strict and any(d.severity is Severity.WARNING for d in r.diagnostics)):
            failed = True
        if fmt == "text" and r.diagnostics:
            err.print(render.text(r.diagnostics, r.texts), markup=False, end="")
    if fmt == "json":
        out.raw(render.json_text(all_diags))
    return results, failed


_OUTSIDE_HELP = "imports may leave the main file's folder and name any regular file (not only .seg)"


@app.command()
@_usage_errors
def check(files: Annotated[list[Path], typer.Argument(help="rule files (.seg), or folders of them")],
          format: Annotated[CheckFormat, typer.Option("--format", help="text, json, sarif or github")] = CheckFormat.text,
          strict: Annotated[bool, typer.Option(help="warnings fail the check too")] = False,
          allow_imports_outside: Annotated[bool, typer.Option("--allow-imports-outside", help=_OUTSIDE_HELP)] = False,
          solver_seconds: Annotated[Optional[float], typer.Option("--solver-seconds", min=0.1, max=86_400.0, help="seconds the solver may spend on each dimension (default 5)")] = None,
          solver_file_seconds: Annotated[Optional[float], typer.Option("--solver-file-seconds", min=0.1, max=86_400.0, help="seconds the solver may spend on all the dimensions of one file together (default 10)")] = None,
          ) -> None:
    """Parse and type-check rule files, run the lints, and analyse every dimension."""
    files = service.rule_files(files)
    results, failed = _load(files, format, strict, allow_imports_outside, analyse=True,
                            budgets=(solver_seconds, solver_file_seconds))
    diags = [d for r in results for d in r.diagnostics]
    if format is CheckFormat.sarif:
        from . import __version__
        from .diagnostics.sarif import sarif
        out.raw(render.json_dumps(sarif(diags, __version__)))
    elif format is CheckFormat.github:
        from .diagnostics.github import github
        if diags:
            out.raw(github(diags))
    if format is CheckFormat.text:
        diags = [d for r in results for d in r.diagnostics]
        status = "failed" if failed else "ok"
        err.print(f"{status}: {len(files)} file{'s' if len(files) != 1 else ''} checked, {render.summary(diags)}",
                  markup=False)
    raise typer.Exit(1 if failed else 0)


@app.command("test")
@_usage_errors
def test_cmd(files: Annotated[list[Path], typer.Argument(help="rule files (.seg), or folders of them")],
             param: Annotated[Optional[list[str]], typer.Option("--param", help="NAME=VALUE")] = None,
             min_coverage: Annotated[float, typer.Option(help="fail below this share of segments hit (0-100)")] = 0.0,
             format: Annotated[TestFormat, typer.Option("--format", help="text, json or junit")] = TestFormat.text,
             strict: Annotated[bool, typer.Option(help="warnings about the rules fail the run too")] = False,
             engine: Annotated[str, typer.Option(help="python (generated code) or interp (reference)")] = "python",
             allow_imports_outside: Annotated[bool, typer.Option("--allow-imports-outside", help=_OUTSIDE_HELP)] = False,
             data: Annotated[Optional[list[str]], typer.Option("--data", help="INPUT=FILE: also report the segments no customer of this data reaches")] = None,
             max_share: Annotated[Optional[float], typer.Option("--max-share", help="with --data: fail when one segment takes more than PCT % of a dimension")] = None,
             delimiter: Annotated[Optional[str], typer.Option(help="CSV delimiter of --data")] = None,
             ) -> None:
    """Run the test blocks inside rule files and report rule coverage."""
    from .service.testing import show
    files = service.rule_files(files)
    from .service.junit import FileResult, junit
    results, failed = _load(files, Format.text if format is TestFormat.text else None, strict,
                            allow_imports_outside, analyse=True)
    reports, done = [], []
    for f, r in zip(files, results):
        if not r.ok:        # the rules do not check: no tests run, the diagnostics say why
            reports.append(_unchecked_json(f, r))
            done.append(FileResult(str(f), r, None))
            continue
        params = resolve_params(r.ruleset, parse_assignments(param or []))
        rep = service.run_tests(r.ruleset, params, engine)
        reports.append(_report_json(rep, show, r.diagnostics))
        done.append(FileResult(str(f), r, rep))
        if rep.failures:
            failed = True
        if rep.coverage * 100 < min_coverage:
            failed = True
        if format is TestFormat.text:
            _print_report(rep, r.texts, show, min_coverage)
        if data:
            failed = _data_coverage(r.ruleset, data, param, max_share, delimiter, format, reports[-1]) or failed
        elif max_share is not None:
            raise UsageError("--max-share: give the data with --data")
    if format is TestFormat.json:
        out.raw(render.json_dumps(reports))
    elif format is TestFormat.junit:
        out.raw(junit(done), end="")
    raise typer.Exit(1 if failed else 0)


def _print_report(rep, texts, show, min_coverage) -> None:
    rs = rep.ruleset
    total = rep.passed + len({(f.test, id(f.case)) for f in rep.failures})
    vis = render.visible            # test names and values are rule text: never raw to the terminal
    for f in rep.failures:
        sp = f.case.span
        out.print(vis(f"FAIL {rs.path}:{sp.line}: test \"{f.test}\""), markup=False)
        out.print(vis(f"  expected {f.dimension} = {show(f.expected)}, got {show(f.got)}"), markup=False)
        if f.decided_by:
            out.print(vis("  decided by: " + ", ".join(f"{n} = {show(v)}" for n, v in f.decided_by)), markup=False)
    status = "ok" if not rep.failures else "FAILED"
    out.print(f"{status}: {vis(rs.path)}: {rep.passed} of {total} test cases passed; "
              f"rule coverage {rep.coverage:.0%} ({len(rep.all_segments) - len(rep.uncovered)} of "
              f"{len(rep.all_segments)} segments hit)", markup=False)
    if rep.uncovered:
        out.print("  not hit by any test: " + ", ".join(f"{d}.{s}" for d, s in rep.uncovered), markup=False)
    if rep.coverage * 100 < min_coverage:
        out.print(f"  coverage below --min-coverage {min_coverage:g}%", markup=False)


def _data_coverage(rs, data: list[str], param, max_share, delimiter, format: str, entry: dict) -> bool:
    """`test --data`: segments no customer reaches, dimensions one segment dominates; True when
    one takes more than --max-share."""
    from .service.report import data_coverage
    try:
        opts = _reading(rs, data, param, OnError.fail, delimiter, "utf-8", None, None)
    except UsageProblem as exc:             # the inputs are given with --data here
        if exc.problem.where != "input":
            raise
        raise UsageProblem(dataclasses.replace(exc.problem, where="data")) from None
    cov = data_coverage(rs, registry.DEFAULT, opts, max_share)
    entry["data"] = cov.as_dict()
    if format == "text":
        vis = render.visible
        out.print(f"  on data: {cov.customers:,} customers", markup=False)
        if cov.unreached:
            out.print(vis("  reached by no customer: " + ", ".join(f"{d}.{s}" for d, s in cov.unreached)),
                      markup=False)
        for x in cov.dominant:
            out.print(vis(f"  {x.dimension}: {x.segment if x.segment is not None else '(no segment)'} takes "
                          f"{x.share:.1%} of the customers (more than --max-share {max_share:g}%)"), markup=False)
    return bool(cov.dominant)


def _unchecked_json(file: Path, r: "CheckResult") -> dict:
    """A file whose rules do not check: its entry in `test --format json`, with the diagnostics."""
    return {"file": str(file), "ok": False, "diagnostics": [render.as_dict(d) for d in r.diagnostics],
            "passed": 0, "failures": [], "coverage": None, "uncovered": []}


def _report_json(rep, show, diagnostics) -> dict:
    return {
        "file": rep.ruleset.path, "ok": not rep.failures, "diagnostics": [render.as_dict(d) for d in diagnostics],
        "passed": rep.passed,
        "failures": [{"test": f.test, "line": f.case.span.line, "dimension": f.dimension,
                      "expected": show(f.expected), "got": show(f.got),
                      "decided_by": {n: show(v) for n, v in f.decided_by}} for f in rep.failures],
        "coverage": rep.coverage,
        "uncovered": [f"{d}.{s}" for d, s in rep.uncovered],
    }


class OnError(str, Enum):
    fail = "fail"
    skip = "skip"
    quarantine = "quarantine"


def _inputs(rs, items: list[str], cluster: bool = False) -> dict[str, Path]:
    """`--input NAME=FILE` (or a bare FILE for a ruleset with one input) → the service's checks."""
    names = ([rs.customer.name] if rs.customer else []) + [r.name for r in rs.related]
    given: list[tuple[str, str]] = []
    for it in items:
        name, sep, path = it.partition("=")
        if not sep:
            if len(names) != 1:
                raise UsageError(f"--input {it}: this ruleset has inputs {', '.join(names)}; write NAME=FILE")
            name, path = names[0], it
        given.append((name, path))
    return service.input_files(rs, given, cluster)


@app.command()
@_usage_errors
def apply(file: Annotated[Path, typer.Argument(help="rule file (.seg)")],
          input: Annotated[list[str], typer.Option("--input", "-i", help="NAME=FILE (CSV, JSONL or Parquet; a quoted pattern such as 'parts/*.parquet' reads every matching file; with --engine spark also a directory, hdfs://..., s3a://... or table:db.name)")],
          output: Annotated[Optional[str], typer.Option("--output", "-o", help=".parquet, .csv or .jsonl; with --engine spark also DIR/ (part files) or table:db.name")] = None,
          format_: Annotated[Optional[str], typer.Option("--format", help="output format when the name does not say: parquet, csv, tsv or jsonl (a directory: parquet)")] = None,
          engine: Annotated[str, typer.Option(help=f"{', '.join(registry.names())} (default {registry.DEFAULT})")] = registry.DEFAULT,
          master: Annotated[Optional[str], typer.Option(help="Spark master URL: spark://HOST:PORT, sc://HOST:PORT (Spark Connect), local[N] (default $SEGDSL_SPARK_MASTER, else local[2])")] = None,
          spark_conf: Annotated[Optional[list[str]], typer.Option("--spark-conf", help="KEY=VALUE: a Spark session setting (repeatable), e.g. spark.executor.memory=4g")] = None,
          param: Annotated[Optional[list[str]], typer.Option("--param", help="NAME=VALUE")] = None,
          on_error: Annotated[OnError, typer.Option("--on-error", help="fail, skip or quarantine")] = OnError.fail,
          quarantine: Annotated[Optional[str], typer.Option(help="where quarantined rows go")] = None,
          labels: Annotated[bool, typer.Option("--labels", help="add DIMENSION_label columns")] = False,
          attributes: Annotated[bool, typer.Option("--attributes", help="add DIMENSION_ATTRIBUTE columns")] = False,
          keep: Annotated[Optional[str], typer.Option(help="input columns to carry through: a,b or all")] = None,
          delimiter: Annotated[Optional[str], typer.Option(help="CSV delimiter, e.g. ';'")] = None,
          encoding: Annotated[str, typer.Option(help="input text encoding, e.g. gbk")] = "utf-8",
          output_encoding: Annotated[str, typer.Option(help="CSV/JSONL output encoding: utf-8, utf-8-sig (Excel), gbk")] = "utf-8",
          csv_safe: Annotated[bool, typer.Option("--csv-safe", help="put ' before CSV text cells starting with = + - @ (spreadsheet formulas)")] = False,
          null_values: Annotated[Optional[str], typer.Option(help="extra null spellings: NA,NULL")] = None,
          date_format: Annotated[Optional[str], typer.Option(help="strptime format for dates")] = None,
          summary_json: Annotated[Optional[Path], typer.Option(help="write the run summary as JSON")] = None,
          batch_size: Annotated[int, typer.Option(min=1, help="rows per batch")] = 50_000,
          stats: Annotated[Optional[Path], typer.Option("--stats", help="frozen population values from `segdsl stats`")] = None,
          memory_limit: Annotated[Optional[str], typer.Option(help="DuckDB memory limit, e.g. 2GB (it spills to disk beyond)")] = None,
          allow_imports_outside: Annotated[bool, typer.Option("--allow-imports-outside", help=_OUTSIDE_HELP)] = False,
          ) -> None:
    """Segment customer records and write one row per customer."""
    from .engines.options import ApplyOptions
    results, failed = _load([file], Format.text, False, allow_imports_outside)
    if failed:
        raise typer.Exit(1)
    rs = results[0].ruleset
    params = resolve_params(rs, parse_assignments(param or []))
    frozen = service.load_stats(stats, rs, params) if stats is not None else None
    target, directory = service.output_target(output)
    rejected, rejected_dir = service.quarantine_target(quarantine)
    opts = ApplyOptions(
        inputs=_inputs(rs, input, cluster=True), output=target, output_dir=directory, output_format=format_,
        params=params, on_error=on_error.value,
        quarantine=rejected, quarantine_dir=rejected_dir, labels=labels, attributes=attributes,
        keep=service.keep_columns(keep),
        delimiter=delimiter, encoding=encoding, null_values=service.null_values(null_values),
        date_format=date_format, batch_size=batch_size, stats=frozen, memory_limit=memory_limit, master=master,
        output_encoding=output_encoding, csv_safe=csv_safe, spark_conf=service.spark_conf(spark_conf))
    service.engine_for(engine, opts, rs)
    progress = _progress_bar(opts.inputs)
    if progress is not None:
        opts = dataclasses.replace(opts, progress=progress.advance)
    try:
        with progress or contextlib.nullcontext():
            summary = service.apply(rs, engine, opts, written={"summary_json": summary_json}, read={"stats": stats})
    except DataError as exc:
        err.print(f"error: {_message(exc)}", markup=False)
        err.print("nothing was written", markup=False)
        raise typer.Exit(1)
    except NotSupported as exc:     # the engine's SQL cannot express a rule: SEG501 at that rule
        err.print(render.text(exc.diagnostics, results[0].texts), markup=False, end="")
        err.print("nothing was written", markup=False)
        raise typer.Exit(1)
    _print_summary(rs, summary)
    if summary_json is not None:
        service.write_summary(summary_json, summary)
    raise typer.Exit(0)


class _RowsProgress:
    """A progress line on stderr while large inputs are read (only on a terminal)."""

    def __init__(self):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rows]:,} rows"),
                            TimeElapsedColumn(), console=err, transient=True)
        self.task = self.bar.add_task("reading", total=None, rows=0)
        self.rows = 0

    def advance(self, name: str, rows: int) -> None:
        self.rows += rows
        self.bar.update(self.task, description=f"reading {name}", rows=self.rows)

    def __enter__(self):
        self.bar.start()
        return self

    def __exit__(self, *exc):
        self.bar.stop()


def _progress_bar(inputs: dict[str, Path]) -> _RowsProgress | None:
    total = sum(p.stat().st_size for p in inputs.values() if p.is_file())
    if total < 5 * 1024 * 1024 or not err.is_terminal:      # the size first: asking the console imports rich
        return None
    return _RowsProgress()


def _print_summary(rs, summary) -> None:
    headers = [i18n.translate(h) for h in ("segment", "label", "customers", "share")]
    total = summary.customers or 1
    for d in rs.dimensions:
        counts = summary.segments.get(d.name, {})
        # labels are rule text: shown visibly, and never read as markup
        title = render.visible(f"{d.name}" + (f" {d.label}" if d.label else "") + f" ({d.policy})")
        rows = []
        for s in d.all_segments():
            n = counts.get(s.name, 0)
            rows.append([s.name, render.visible(s.label or ""), f"{n:,}", f"{n / total:.1%}"])
        if counts.get("(none)"):
            n = counts["(none)"]
            rows.append([i18n.translate("(none)"), i18n.translate("no tag" if d.policy == "all" else "no segment"),
                         f"{n:,}", f"{n / total:.1%}"])
        out.table(title, headers, [False, False, True, True], rows)
    read = ", ".join(f"{n:,} rows of {k}" for k, n in summary.read.items())
    line = f"read {read}; {summary.written:,} customers written"
    if summary.skipped:
        line += f"; {summary.skipped:,} bad rows skipped"
    if summary.quarantined:
        line += f"; {summary.quarantined:,} bad rows quarantined to {summary.quarantine_file}"
    if summary.orphans:
        line += f"; {summary.orphans:,} related rows with no customer ignored"
    out.print(line, markup=False)
    out.print(f"output: {summary.output_file}" if summary.output_file else "no --output given: nothing written",
              markup=False)


@app.command("stats")
@_usage_errors
def stats_cmd(file: Annotated[Path, typer.Argument(help="rule file (.seg)")],
              input: Annotated[list[str], typer.Option("--input", "-i", help="NAME=FILE")],
              output: Annotated[Path, typer.Option("--output", "-o", help="the stats file (.json)")],
              param: Annotated[Optional[list[str]], typer.Option("--param", help="NAME=VALUE")] = None,
              on_error: Annotated[OnError, typer.Option("--on-error", help="fail or skip")] = OnError.fail,
              delimiter: Annotated[Optional[str], typer.Option(help="CSV delimiter")] = None,
              encoding: Annotated[str, typer.Option(help="input text encoding")] = "utf-8",
              null_values: Annotated[Optional[str], typer.Option(help="extra null spellings: NA,NULL")] = None,
              date_format: Annotated[Optional[str], typer.Option(help="strptime format for dates")] = None,
              allow_imports_outside: Annotated[bool, typer.Option("--allow-imports-outside", help=_OUTSIDE_HELP)] = False,
              ) -> None:
    """Compute the population values a ruleset needs and freeze them in a file for `apply --stats`."""
    from .engines.options import ApplyOptions
    results, failed = _load([file], Format.text, False, allow_imports_outside)
    if failed:
        raise typer.Exit(1)
    rs = results[0].ruleset
    opts = ApplyOptions(inputs=_inputs(rs, input), params=resolve_params(rs, parse_assignments(param or [])),
                        on_error=on_error.value, delimiter=delimiter, encoding=encoding,
                        null_values=service.null_values(null_values), date_format=date_format)
    content = service.compute_stats(rs, opts, output)
    service.write_stats(output, content)
    out.print(f"{len(content['stats'])} population values of {content['customers']:,} customers written to {output}",
              markup=False)
    raise typer.Exit(0)


class Target(str, Enum):
    python = "python"
    sql = "sql"


@app.command("fmt")
@_usage_errors
def fmt_cmd(files: Annotated[list[Path], typer.Argument(help="rule files (.seg), or folders of them; - reads "
                                                               "standard input and writes standard output")],
            check: Annotated[bool, typer.Option("--check", help="write nothing; exit 1 if a file would change")] = False,
            diff: Annotated[bool, typer.Option("--diff", help="print the changes as a unified diff; write nothing")]
            = False) -> None:
    """Rewrite rule files in the canonical layout, every comment kept."""
    from .service.formatting import format_file, format_text, unified_diff
    piped = [str(f) for f in files] == ["-"]
    if piped:
        results = [format_text(sys.stdin.read(), "<stdin>")]
        if results[0].after is not None and not (check or diff):
            out.raw(results[0].after, end="")             # the text exactly, not through rich
            raise typer.Exit(0)
    else:
        results = [format_file(f, write=not (check or diff)) for f in service.rule_files(files)]
    for r in results:
        if r.diagnostics:
            err.print(render.text(list(r.diagnostics), {r.path: r.before or ""}), markup=False, end="")
        if r.problem:
            err.print(render.visible(f"error: {r.path}: not formatted: {r.problem}"), markup=False)
        if r.changed and diff:
            out.print("\n".join(map(render.visible, unified_diff(r).split("\n"))), markup=False, end="")
        if r.changed:
            err.print(render.visible(f"{'would reformat' if check or diff else 'reformatted'} {r.path}"), markup=False)
    changed, failed = sum(r.changed for r in results), sum(r.failed for r in results)
    verb = "would be reformatted" if check or diff else "reformatted"
    err.print(f"{changed} file{'s' if changed != 1 else ''} {verb}, {len(results) - changed - failed} unchanged"
              + (f", {failed} not formatted" if failed else ""), markup=False)
    raise typer.Exit(1 if failed or (check and changed) else 0)


@app.command()
def lsp() -> None:
    """Run the language server over standard input and output (for editors)."""
    from .lsp.server import serve
    serve()


@app.command()
@_usage_errors
def compile(file: Annotated[Path, typer.Argument(help="rule file (.seg)")],
            target: Annotated[Target, typer.Option("--target", help="python (generated code) or sql")] = Target.python,
            output: Annotated[Optional[Path], typer.Option("--output", "-o", help="write here instead of stdout")] = None,
            dialect: Annotated[str, typer.Option(help="SQL dialect: duckdb, postgres, spark, snowflake, bigquery, ...")] = "duckdb",
            table: Annotated[Optional[list[str]], typer.Option("--table", help="INPUT=TABLE: the table an input is read from")] = None,
            param: Annotated[Optional[list[str]], typer.Option("--param", help="NAME=VALUE")] = None,
            labels: Annotated[bool, typer.Option("--labels", help="add DIMENSION_label columns")] = False,
            attributes: Annotated[bool, typer.Option("--attributes", help="add DIMENSION_ATTRIBUTE columns")] = False,
            as_: Annotated[Optional[str], typer.Option("--as", help="select (default), view or table")] = None,
            name: Annotated[Optional[str], typer.Option("--name", help="the view's or table's name, with --as")] = None,
            stats: Annotated[Optional[Path], typer.Option("--stats", help="frozen population values from `segdsl stats`, baked into the SQL")] = None,
            reasons: Annotated[bool, typer.Option("--reasons", help="add a _reason column: why the engines would call a customer row bad (NULL for a good one)")] = False,
            allow_imports_outside: Annotated[bool, typer.Option("--allow-imports-outside", help=_OUTSIDE_HELP)] = False,
            ) -> None:
    """Show the code a ruleset compiles to: Python source, or SQL for a dialect."""
    # one rule file in, one text out: the compiler's trees hold hardly any reference cycle, so
    # the cyclic collector's walks over them are pure cost (about a tenth of compiling 1,000
    # segments); it is paused for the whole command, not only for each stage
    with collector.paused():
        results, failed = _load([file], Format.text, False, allow_imports_outside)
        if failed:
            raise typer.Exit(1)
        rs = results[0].ruleset
        service.check_files(rs, {}, {"output": output}, read={"stats": stats})
        # params are checked for every target: generated Python takes them at run time, and a
        # wrong one is the same mistake whatever is compiled
        params = resolve_params(rs, parse_assignments(param or []))
        if target is Target.python:
            if stats is not None:
                raise UsageError("--stats: frozen population values are for --target sql (the Python engine "
                                 "takes them with `apply --stats`)")
            if reasons:
                raise UsageError("--reasons: a reason column is for --target sql (the engines report bad rows "
                                 "themselves, with `apply --on-error`)")
            source = service.compile_python(rs)
        else:
            tables = {}
            for t in table or []:
                input_name, sep, value = t.partition("=")
                if not sep:
                    raise UsageError(f"--table {t}: write INPUT=TABLE")
                tables[input_name] = value
            frozen = service.load_stats(stats, rs, params) if stats is not None else None
            try:
                source = service.compile_sql(rs, params, dialect, tables, labels=labels, attributes=attributes,
                                             as_=as_, name=name, stats=frozen, reasons=reasons) + ";\n"
            except NotSupported as exc:     # a diagnostic (SEG501) at the rule SQL cannot express
                err.print(render.text(exc.diagnostics, results[0].texts), markup=False, end="")
                raise typer.Exit(1)
        if output is None:
            out.raw(source, end="")
        else:
            service.write_text("output", output, source)
        raise typer.Exit(0)


# ---- explain, report, diff: why, how big, who moves ------------------------------

def _reading(rs, input: list[str], param, on_error: "OnError", delimiter, encoding, null_values, date_format,
             stats: Optional[Path] = None):
    """The ApplyOptions of a command that reads the inputs without writing an output."""
    from .engines.options import ApplyOptions
    if on_error is OnError.quarantine:
        raise UsageError("--on-error quarantine: choose fail or skip (nothing is written)")
    return ApplyOptions(inputs=_inputs(rs, input), params=resolve_params(rs, parse_assignments(param or [])),
                        on_error=on_error.value, delimiter=delimiter, encoding=encoding,
                        null_values=service.null_values(null_values), date_format=date_format,
                        stats=service.load_stats(stats, rs) if stats is not None else None)


def _rules(file: Path, allow_imports_outside: bool):
    results, failed = _load([file], Format.text, False, allow_imports_outside)
    if failed:
        raise typer.Exit(1)
    return results[0].ruleset


_InputOpt = Annotated[list[str], typer.Option("--input", "-i", help="NAME=FILE (CSV, JSONL or Parquet)")]
_ParamOpt = Annotated[Optional[list[str]], typer.Option("--param", help="NAME=VALUE")]
_OnErrorOpt = Annotated[OnError, typer.Option("--on-error", help="fail or skip")]
_DelimiterOpt = Annotated[Optional[str], typer.Option(help="CSV delimiter")]
_EncodingOpt = Annotated[str, typer.Option(help="input text encoding")]
_NullsOpt = Annotated[Optional[str], typer.Option(help="extra null spellings: NA,NULL")]
_DateOpt = Annotated[Optional[str], typer.Option(help="strptime format for dates")]
_OutsideOpt = Annotated[bool, typer.Option("--allow-imports-outside", help=_OUTSIDE_HELP)]


@app.command()
@_usage_errors
def explain(file: Annotated[Path, typer.Argument(help="rule file (.seg)")],
            input: _InputOpt,
            id: Annotated[Optional[str], typer.Option("--id", help="the key of the customer to explain")] = None,
            row: Annotated[Optional[int], typer.Option("--row", help="the data row, for an input without a key")] = None,
            dimension: Annotated[Optional[str], typer.Option("--dimension", help="explain this dimension only")] = None,
            format: Annotated[Format, typer.Option("--format", help="text (a tree) or json")] = Format.text,
            param: _ParamOpt = None, on_error: _OnErrorOpt = OnError.fail, delimiter: _DelimiterOpt = None,
            encoding: _EncodingOpt = "utf-8", null_values: _NullsOpt = None, date_format: _DateOpt = None,
            stats: Annotated[Optional[Path], typer.Option("--stats", help="frozen population values")] = None,
            allow_imports_outside: _OutsideOpt = False) -> None:
    """Show why one customer got each segment: every condition tried, with its values."""
    from .service.explain import explain as run
    rs = _rules(file, allow_imports_outside)
    opts = _reading(rs, input, param, on_error, delimiter, encoding, null_values, date_format, stats)
    found = run(rs, opts, key=id, row=row, dimension=dimension)
    if format is Format.json:
        out.raw(render.json_dumps(found.as_dict()))
    else:
        from .service.explain_text import tree
        out.print(tree(found, render.visible), soft_wrap=False)
    raise typer.Exit(0)


@app.command()
@_usage_errors
def report(file: Annotated[Path, typer.Argument(help="rule file (.seg)")],
           input: _InputOpt,
           measure: Annotated[Optional[list[str]], typer.Option("--measure", help="a numeric field or let: its share, mean and median per segment")] = None,
           crosstab: Annotated[Optional[str], typer.Option("--crosstab", help="D1,D2: customers by the segments of two dimensions")] = None,
           format: Annotated[Format, typer.Option("--format", help="text (tables) or json")] = Format.text,
           html: Annotated[Optional[Path], typer.Option("--html", help="also write one self-contained HTML page with charts")] = None,
           engine: Annotated[str, typer.Option(help=f"{', '.join(registry.names())} (default {registry.DEFAULT})")] = registry.DEFAULT,
           param: _ParamOpt = None, on_error: _OnErrorOpt = OnError.fail, delimiter: _DelimiterOpt = None,
           encoding: _EncodingOpt = "utf-8", null_values: _NullsOpt = None, date_format: _DateOpt = None,
           allow_imports_outside: _OutsideOpt = False) -> None:
    """Segment sizes and shares, measure shares (the 80/20 view), a cross-tab; text, JSON or HTML."""
    from .service.report import report as run
    rs = _rules(file, allow_imports_outside)
    opts = _reading(rs, input, param, on_error, delimiter, encoding, null_values, date_format)
    service.engine_for(engine, opts, rs)
    service.check_files(rs, opts.inputs, {"html": html})
    found = run(rs, engine, opts, measure or (), crosstab)
    if html is not None:
        from .service.report_html import page
        service.write_text("html", html, page(found))
    if format is Format.json:
        out.raw(render.json_dumps(found.as_dict()))
    else:
        from .service.report_text import tables
        out.print(tables(found, render.visible))
        if html is not None:
            out.print(f"report: {html}", markup=False)
    raise typer.Exit(0)


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"


@app.command("diff")
@_usage_errors
def diff_cmd(old: Annotated[str, typer.Argument(help="the old rule file, or REV:path for a file at a git revision")],
             new: Annotated[Path, typer.Argument(help="the new rule file")],
             input: Annotated[Optional[list[str]], typer.Option("--input", "-i", help="NAME=FILE: also show who moves on this data")] = None,
             param: _ParamOpt = None,
             format: Annotated[DiffFormat, typer.Option("--format", help="text, json or html (a page on stdout)")] = DiffFormat.text,
             fail_if_moved: Annotated[Optional[float], typer.Option("--fail-if-moved", help="exit 1 when more than PCT % of the customers move in a dimension")] = None,
             engine: Annotated[str, typer.Option(help=f"{', '.join(registry.names())} (default {registry.DEFAULT})")] = registry.DEFAULT,
             on_error: _OnErrorOpt = OnError.fail, delimiter: _DelimiterOpt = None, encoding: _EncodingOpt = "utf-8",
             null_values: _NullsOpt = None, date_format: _DateOpt = None,
             allow_imports_outside: _OutsideOpt = False) -> None:
    """What changed between two versions of the rules, and with data who moves between segments."""
    from .service import diff as diffs
    if fail_if_moved is not None and not input:
        raise UsageError("--fail-if-moved: give the data with --input (moves are counted on data)")
    if fail_if_moved is not None and not 0 <= fail_if_moved <= 100:
        raise UsageError(f"--fail-if-moved {fail_if_moved:g}: give a share between 0 and 100")
    with diffs.scratch() as folder:
        old_path = diffs.at_revision(old, Path(folder)) if diffs.is_revision(old) else Path(old)
        old_rs = _rules(old_path, allow_imports_outside)
        new_rs = _rules(new, allow_imports_outside)
        old_opts = new_opts = None
        if input:
            given = parse_assignments(param or [])
            new_opts = _reading(new_rs, input, [], on_error, delimiter, encoding, null_values, date_format)
            new_opts = dataclasses.replace(new_opts, params=diffs.params_for(new_rs, old_rs, given))
            old_opts = dataclasses.replace(new_opts, inputs=_inputs(old_rs, input),
                                           params=diffs.params_for(old_rs, new_rs, given))
            service.engine_for(engine, new_opts, new_rs)
            service.engine_for(engine, old_opts, old_rs)
        elif param:
            raise UsageError("--param: params only matter with data; give it with --input")
        found = diffs.diff(old_rs, new_rs, old, str(new), engine if input else None, old_opts, new_opts)
    if format is DiffFormat.json:
        out.raw(render.json_dumps(found.as_dict()))
    elif format is DiffFormat.html:
        from .service.report_html import diff_page
        out.raw(diff_page(found), end="")
    else:
        from .service.diff_text import tables
        out.print(tables(found, render.visible))
    over = found.moved_over(fail_if_moved) if fail_if_moved is not None else ()
    for m in over:
        err.print(render.visible(f"moved: {m.share:.1%} of the customers in {m.name} "
                                 f"(more than --fail-if-moved {fail_if_moved:g}%)"), markup=False)
    raise typer.Exit(1 if over else 0)


@app.command()
@_usage_errors
def init(domain: Annotated[Optional[str], typer.Argument(help="the template to start from (see --list)")] = None,
         directory: Annotated[Optional[Path], typer.Argument(help="the new folder (default: ./DOMAIN)")] = None,
         list_: Annotated[bool, typer.Option("--list", help="list the templates and exit")] = False,
         ) -> None:
    """Start a ruleset folder from a domain template: rules with their tests, a README and sample data."""
    from .service import init as scaffolding
    if list_:
        for t in scaffolding.templates():
            out.print(f"{t.domain:<22}{t.summary}\n{'':<22}{t.summary_zh}", markup=False)
        raise typer.Exit(0)
    if domain is None:
        raise UsageError("DOMAIN: name a template (segdsl init --list shows them)")
    made = scaffolding.scaffold(domain, directory if directory is not None else Path(domain))
    t, folder = made.template, made.directory
    out.print(f"created {render.visible(str(folder))}/ from template {t.domain}: "
              + ", ".join(render.visible(str(p.relative_to(folder))) for p in made.files), markup=False)
    q = functools.partial(_shell_path, folder)
    out.print("next:", markup=False)
    out.print(f"  segdsl check --strict {' '.join(q(r) for r in t.rules)}", markup=False)
    out.print(f"  segdsl test --min-coverage 100 {' '.join(q(r) for r in t.rules)}", markup=False)
    out.print(f"  segdsl apply {q(t.main)} --input {t.input}={q(t.data)} --labels --attributes"
              f" -o {q('segments.csv')}", markup=False)
    raise typer.Exit(0)


def _shell_path(folder: Path, name: str) -> str:
    """A path in the new folder as a shell word a user can paste."""
    import shlex
    return render.visible(shlex.quote(str(folder / name)))


def _command_word(argv: list[str]) -> str | None:
    """The command the arguments name, when only `--lang` comes before it (anything else there,
    such as `--help`, is the group's)."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--lang":
            i += 2
        elif a.startswith("--lang="):
            i += 1
        else:
            return None if a.startswith("-") else a
    return None


def _click_command(argv: list[str]):
    """The click group for these arguments. typer builds every command's options (reading each
    function's signature) before it parses anything, a tenth of a short `apply`; a run of one
    command gets a group of that one only, which parses, helps and fails alike. The group's own
    help, or a word that names no command (answered with the names there are), gets them all."""
    word = _command_word(argv)
    chosen = [c for c in app.registered_commands
              if (c.name or typer.main.get_command_name(c.callback.__name__)) == word]
    if not chosen:
        return typer.main.get_command(app)
    one = copy.copy(app)
    one.registered_commands = chosen
    return typer.main.get_command(one)


def main() -> None:
    """The `segdsl` program: runs one command, then leaves the process without tearing it down
    (`_leave`)."""
    try:
        _run()
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _leave(code) -> None:
    """Ends the process the way `sys.exit(code)` would, minus freeing every object one by one:
    after `compile` of a 1,000-segment file that teardown took 0.2 s, a sixth of the command,
    and 0.04 s after a short `apply`. What a normal exit does that matters still happens here:
    the atexit functions run (engines and libraries close connections and remove temporary
    files there) and the standard streams are flushed; files the commands write are closed
    (and renamed into place) before the command returns. With any other thread still
    running, whose work Python would wait for, or after a command a signal stopped (130,
    143: an engine's writer may still be held by what the signal interrupted, and only the
    teardown closes it and removes its temporary file), the exit is the normal one."""
    import atexit
    import os
    import threading
    code = 0 if code is None else code
    if code not in (0, 1) or threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()     # noqa: SLF001 - the atexit module's own way to run them now
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe (`segdsl ... | head`): as Python's exit would
            code = code or 120
    os._exit(code)


def _run() -> None:
    asked = _language_asked(sys.argv[1:])
    lang = asked if asked in i18n.LANGUAGES else i18n.from_locale()
    try:
        command = _click_command(sys.argv[1:])
        if lang != "en":
            i18n.set_language(lang)
            _translated_help(command)
        command(prog_name="segdsl")
    except (UsageError, UsageProblem) as exc:
        err.print(f"error: {_message(exc)}", markup=False)
        sys.exit(2)
    except _Unwritable as exc:
        # what the command wrote to files is in place; a reader that went away (`| head`) needs no words
        if exc.error.errno != errno.EPIPE:
            with contextlib.suppress(_Unwritable):
                err.print(f"error: cannot write to {exc.stream}: {exc.error.strerror or exc.error}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
