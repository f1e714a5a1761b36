"""The `segdsl` command line: parses arguments, calls the library, renders.

No segmentation logic lives here. Exit codes: 0 fine (warnings included
unless --strict), 1 problems in the rules or the data, 2 wrong usage.
"""
from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import render
from .diagnostics import Diagnostic
from .frontend import CheckResult, check_file
from .params import UsageError, parse_assignments, resolve_params

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True, rich_markup_mode=None,
                  help="segdsl: customer-segmentation rules, checked, tested and compiled.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(str, Enum):
    text = "text"
    json = "json"


def _load(files: list[Path], fmt: Format, strict: bool, quiet_ok: bool = False) -> tuple[list[CheckResult], bool]:
    results, failed, all_diags = [], False, []
    for f in files:
        r = check_file(f)
        results.append(r)
        all_diags.extend(r.diagnostics)
        if not r.ok or (strict and r.diagnostics):
            failed = True
        if fmt is Format.text and r.diagnostics:
            err.print(render.text(r.diagnostics, r.texts), markup=False, end="")
    if fmt is Format.json:
        print(render.json_text(all_diags))
    return results, failed


@app.command()
def check(files: Annotated[list[Path], typer.Argument(help="rule files (.seg)")],
          format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
          strict: Annotated[bool, typer.Option(help="warnings fail the check too")] = False) -> None:
    """Parse and type-check rule files, and run the lints."""
    results, failed = _load(files, format, strict)
    if format is Format.text:
        diags = [d for r in results for d in r.diagnostics]
        status = "failed" if failed else "ok"
        err.print(f"{status}: {len(files)} file{'s' if len(files) != 1 else ''} checked, {render.summary(diags)}",
                  markup=False)
    raise typer.Exit(1 if failed else 0)


@app.command("test")
def test_cmd(files: Annotated[list[Path], typer.Argument(help="rule files (.seg)")],
             param: Annotated[Optional[list[str]], typer.Option("--param", help="NAME=VALUE")] = None,
             min_coverage: Annotated[float, typer.Option(help="fail below this share of segments hit (0-100)")] = 0.0,
             format: Annotated[Format, typer.Option("--format")] = Format.text,
             engine: Annotated[str, typer.Option(help="python (generated code) or interp (reference)")] = "python",
             ) -> None:
    """Run the test blocks inside rule files and report rule coverage."""
    from .tools.testing import run_tests, show
    results, failed = _load(files, Format.text, False)
    evaluate = _evaluator(engine)
    reports = []
    for r in results:
        if not r.ok:
            continue
        try:
            params = resolve_params(r.ruleset, parse_assignments(param or []))
        except UsageError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2)
        rep = run_tests(r.ruleset, params, evaluate)
        reports.append(rep)
        if rep.failures:
            failed = True
        if rep.coverage * 100 < min_coverage:
            failed = True
        if format is Format.text:
            _print_report(rep, r.texts, show, min_coverage)
    if format is Format.json:
        print(json.dumps([_report_json(rep, show) for rep in reports], ensure_ascii=False, indent=2))
    raise typer.Exit(1 if failed else 0)


def _evaluator(engine: str):
    if engine == "interp":
        from .tools.testing import interpret
        return interpret
    if engine == "python":
        from .backends.python import evaluate_with_generated
        return evaluate_with_generated
    err.print(f"error: --engine {engine}: choose python or interp", markup=False)
    raise typer.Exit(2)


def _print_report(rep, texts, show, min_coverage) -> None:
    rs = rep.ruleset
    total = rep.passed + len({(f.test, id(f.case)) for f in rep.failures})
    for f in rep.failures:
        sp = f.case.span
        out.print(f"FAIL {rs.path}:{sp.line}: test \"{f.test}\"", markup=False)
        out.print(f"  expected {f.dimension} = {show(f.expected)}, got {show(f.got)}", markup=False)
        if f.decided_by:
            out.print("  decided by: " + ", ".join(f"{n} = {show(v)}" for n, v in f.decided_by), markup=False)
    status = "ok" if not rep.failures else "FAILED"
    out.print(f"{status}: {rs.path}: {rep.passed} of {total} test cases passed; "
              f"rule coverage {rep.coverage:.0%} ({len(rep.all_segments) - len(rep.uncovered)} of "
              f"{len(rep.all_segments)} segments hit)", markup=False)
    if rep.uncovered:
        out.print("  not hit by any test: " + ", ".join(f"{d}.{s}" for d, s in rep.uncovered), markup=False)
    if rep.coverage * 100 < min_coverage:
        out.print(f"  coverage below --min-coverage {min_coverage:g}%", markup=False)


def _report_json(rep, show) -> dict:
    return {
        "file": rep.ruleset.path, "passed": rep.passed,
        "failures": [{"test": f.test, "line": f.case.span.line, "dimension": f.dimension,
                      "expected": show(f.expected), "got": show(f.got),
                      "decided_by": {n: show(v) for n, v in f.decided_by}} for f in rep.failures],
        "coverage": rep.coverage,
        "uncovered": [f"{d}.{s}" for d, s in rep.uncovered],
    }


class Target(str, Enum):
    python = "python"
    sql = "sql"


@app.command()
def compile(file: Annotated[Path, typer.Argument(help="rule file (.seg)")],
            target: Annotated[Target, typer.Option("--target", help="python (generated code) or sql")] = Target.python,
            output: Annotated[Optional[Path], typer.Option("--output", "-o", help="write here instead of stdout")] = None,
            ) -> None:
    """Show the code a ruleset compiles to."""
    results, failed = _load([file], Format.text, False)
    if failed:
        raise typer.Exit(1)
    rs = results[0].ruleset
    if target is Target.python:
        from .backends.python import generate
        source, _, _ = generate(rs)
    else:
        err.print("error: --target sql is not available yet; use --target python", markup=False)
        raise typer.Exit(2)
    if output is None:
        print(source, end="")
    else:
        from .io.writers import write_text_atomic
        write_text_atomic(output, source)
    raise typer.Exit(0)


def main() -> None:
    try:
        app()
    except UsageError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
