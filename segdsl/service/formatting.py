"""`fmt` as a service: rule files read safely, formatted, and written back atomically.

A file that does not parse, or that cannot be read, is left untouched and
its diagnostics come back; so does a file whose formatting would not be
faithful (fmt/format.py refuses it).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..diagnostics.values import Diagnostic
from ..fmt import format_source
from ..source import Source
from ..syntax.reading import Refused, read_bytes

BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class FileFormat:
    path: str
    before: str | None                       # None: the file could not be read
    after: str | None                        # None: not formatted (diagnostics or problem say why)
    diagnostics: tuple[Diagnostic, ...] = ()
    problem: str | None = None

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after != self.before

    @property
    def failed(self) -> bool:
        return self.after is None


def read_rule_text(path: Path) -> tuple[str | None, Diagnostic | None]:
    shown = str(path)
    try:
        raw = read_bytes(path)
    except FileNotFoundError:
        return None, Diagnostic("SEG008", f"cannot read `{shown}`: no such file", None)
    except Refused as exc:
        return None, Diagnostic("SEG008", f"cannot read `{shown}`: {exc.reason}", None, exc.help)
    except OSError as exc:
        return None, Diagnostic("SEG008", f"cannot read `{shown}`: {exc.strerror or exc}", None)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, Diagnostic("SEG008", f"`{shown}` is not UTF-8 text", None,
                                "save the rule file as UTF-8 (it may have been saved as GBK or Big5)")


def format_text(text: str, name: str) -> FileFormat:
    """Text that is not a file (standard input): formatted, nothing written."""
    result = format_source(Source(name, text.removeprefix(BOM)))
    return FileFormat(name, text, result.text, result.diagnostics, result.problem)


def format_file(path: Path, write: bool) -> FileFormat:
    text, problem = read_rule_text(path)
    if text is None:
        return FileFormat(str(path), None, None, (problem,))
    result = format_source(Source(str(path), text.removeprefix(BOM)))
    done = FileFormat(str(path), text, result.text, result.diagnostics, result.problem)
    if write and done.changed:
        from ..io.atomic import write_text_atomic
        try:
            write_text_atomic(path, result.text)
        except OSError as exc:
            return FileFormat(str(path), text, None, problem=f"cannot be written: {exc.strerror or exc}")
    return done


def unified_diff(result: FileFormat) -> str:
    import difflib
    return "".join(difflib.unified_diff(result.before.splitlines(keepends=True), result.after.splitlines(keepends=True),
                                        f"{result.path}", f"{result.path} (formatted)"))
