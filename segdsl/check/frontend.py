"""The front end in one call: file → typed IR plus every diagnostic found.

Loading (syntax), checking and the analyses run in that order; a later
stage's diagnostics are only added when the earlier ones found no error, so
the analyst sees the problems to fix first. The IR is returned even then,
partial, for an editor; `CheckResult.ok` says whether it may be run.

With `cached`, a result without errors is kept on disk and an unchanged file
is not checked again (check/cache.py); the parser and the checker are then
not even imported, which is most of a short command's start-up.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import collector, ir
from ..diagnostics.values import Diagnostic, DiagnosticSink


@dataclass(frozen=True)
class CheckResult:
    """What checking a file gives: the IR (partial, or None when the main file did not parse), every
    diagnostic, and the text of every file read, for showing source lines."""
    ruleset: ir.Ruleset | None   # partial when there are errors; None when the main file did not parse
    diagnostics: list[Diagnostic]
    texts: dict[str, str]        # every file read, for rendering source lines

    @property
    def ok(self) -> bool:
        return self.ruleset is not None and not any(d.is_error for d in self.diagnostics)


def check_file(path: str | Path, text: str | None = None, allow_imports_outside: bool = False,
               cached: bool = False) -> CheckResult:
    """`allow_imports_outside`: imports may leave the main file's folder and name any regular
    file (syntax/reading.py); off by default, so a rule file cannot make segdsl read elsewhere.
    `cached`: use and keep the on-disk cache of checked files (the command line does)."""
    cached = cached and text is None
    if cached:
        from . import cache
        hit = cache.lookup(path, (allow_imports_outside,))
        if hit is not None:
            return hit
    with collector.paused():
        result = _check_file(path, text, allow_imports_outside)
    if cached:
        cache.store(path, (allow_imports_outside,), result)
    return result


def _check_file(path: str | Path, text: str | None, allow_imports_outside: bool) -> CheckResult:
    from ..analysis import lint
    from ..syntax.loader import load_modules
    from .modules import check_modules
    sink = DiagnosticSink()
    modules, texts = load_modules(path, sink, text, allow_imports_outside)
    if not modules or modules[-1].path != str(path):      # the main file did not parse
        return CheckResult(None, sink.items, texts)
    if sink.has_errors:                  # an import is missing or broken: check what is there, quietly
        partial = check_modules(modules, texts, DiagnosticSink())
        return CheckResult(partial.ruleset, sink.items, texts)
    checked = check_modules(modules, texts, sink)
    if checked.ok:
        sink.items.extend(lint(checked.ruleset, checked.uses))
    return CheckResult(checked.ruleset, sink.items, texts)
