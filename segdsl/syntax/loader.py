"""Reads a rule file and its imports, in dependency order, detecting cycles."""
from __future__ import annotations

from codecs import BOM_UTF8
from pathlib import Path

from . import ast as A
from .build_ast import build_module
from .reading import Refused, import_refusal, project_root, read_bytes, resolve
from ..diagnostics.values import DiagnosticSink, SegError
from ..source import Source, Span


def load_modules(path: str | Path, sink: DiagnosticSink, text: str | None = None,
                 allow_imports_outside: bool = False) -> tuple[list[A.Module], dict[str, str]]:
    """Imported modules first, the main one last; texts by path. An import must stay inside
    the project tree and name a `.seg` file (reading.py) unless `allow_imports_outside`."""
    root = project_root(path)
    modules: list[A.Module] = []
    texts: dict[str, str] = {}
    done: set[Path] = set()

    def visit(p: Path, display: str, stack: list[Path], at: Span | None, text: str | None = None,
              written: str | None = None) -> None:
        if "\x00" in str(p):          # no file name holds a NUL; the OS would refuse it (ValueError)
            shown = (written or display).replace("\x00", "\\0")
            if at is None:
                sink.error("SEG008", f"cannot read `{shown}`: a file path cannot hold a NUL character", None)
            else:
                sink.error("SEG108", f"cannot find imported file `{shown}`: a file path cannot hold a NUL "
                                     f"character", at, help="remove the NUL character from the path")
            return
        try:
            rp = resolve(p)
        except Refused as exc:
            if at is None:
                sink.error("SEG008", f"cannot read `{display}`: {exc.reason}", None, help=exc.help)
            else:
                sink.error("SEG118", f"cannot import `{written or display}`: {exc.reason}", at, help=exc.help)
            return
        if rp in stack:
            chain = " → ".join(s.name for s in stack[stack.index(rp):] + [rp])
            sink.error("SEG109", f"import cycle: {chain}", at, help="move the shared declarations to a third file")
            return
        if rp in done:
            return
        if text is None:
            if at is not None and not allow_imports_outside:
                refused = import_refusal(p, root)
                if refused is not None:
                    sink.error("SEG118", f"cannot import `{written or display}`: {refused.reason}", at,
                               help=refused.help)
                    return
            text = _read(p, display, written, at, sink, texts)
            if text is None:
                return
        source = Source(display, text)
        texts[display] = text
        try:
            module, diags = build_module(source)
        except SegError as exc:
            sink.items.extend(exc.diagnostics)
            return
        sink.items.extend(diags)
        for imp in module.imports:
            visit(p.parent / imp.path, str(Path(display).parent / imp.path) if display else imp.path,
                  stack + [rp], imp.span, written=imp.path)
        done.add(rp)
        modules.append(module)

    visit(Path(path), str(path), [], None, text)
    return modules, texts


def _read(p: Path, display: str, written: str | None, at: Span | None, sink: DiagnosticSink,
          texts: dict[str, str]) -> str | None:
    """The text of a rule file, or None with the reason in `sink` (SEG008 for the main file,
    SEG108/SEG118 at the import that names it)."""
    shown = written or display
    try:
        raw = read_bytes(p)
    except FileNotFoundError:
        if at is None:
            sink.error("SEG008", f"cannot read `{display}`: no such file", None)
        else:
            sink.error("SEG108", f"cannot find imported file `{shown}`", at,
                       help=f"paths are relative to the importing file; looked for {p}")
        return None
    except Refused as exc:
        if at is None:
            sink.error("SEG008", f"cannot read `{display}`: {exc.reason}", None, help=exc.help)
        else:
            sink.error("SEG118", f"cannot import `{shown}`: {exc.reason}", at, help=exc.help)
        return None
    except OSError as exc:
        sink.error("SEG008", f"cannot read `{shown}`: {exc.strerror or exc}", at)
        return None
    if raw.startswith(BOM_UTF8):        # Notepad saves UTF-8 with a byte-order mark: not part of the text
        raw = raw[len(BOM_UTF8):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[:exc.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        texts[display] = raw.decode("utf-8", errors="replace")
        sink.error("SEG008", f"`{display}` is not UTF-8 text (line {line}, column {col})",
                   Span(display, line, col, line, col + 1),
                   help="save the rule file as UTF-8 (it may have been saved as GBK or Big5)")
        return None
