"""Reads a rule file and its imports, in dependency order, detecting cycles."""
from __future__ import annotations

from pathlib import Path

from . import ast as A
from .build_ast import build_module
from ..diagnostics.values import DiagnosticSink, SegError
from ..source import Source, Span


def load_modules(path: str | Path, sink: DiagnosticSink, text: str | None = None) -> tuple[list[A.Module], dict[str, str]]:
    """Imported modules first, the main one last; texts by path."""
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
        rp = p.resolve()
        if rp in stack:
            chain = " → ".join(s.name for s in stack[stack.index(rp):] + [rp])
            sink.error("SEG109", f"import cycle: {chain}", at, help="move the shared declarations to a third file")
            return
        if rp in done:
            return
        if text is None:
            try:
                text = p.read_text(encoding="utf-8")
            except FileNotFoundError:
                if at is None:
                    sink.error("SEG008", f"cannot read `{display}`: no such file", None)
                else:
                    sink.error("SEG108", f"cannot find imported file `{written or display}`", at,
                               help=f"paths are relative to the importing file; looked for {p}")
                return
            except UnicodeDecodeError as exc:
                raw = p.read_bytes()
                before = raw[:exc.start].decode("utf-8", errors="replace")
                line = before.count("\n") + 1
                col = len(before) - (before.rfind("\n") + 1) + 1
                texts[display] = raw.decode("utf-8", errors="replace")
                sink.error("SEG008", f"`{display}` is not UTF-8 text (line {line}, column {col})",
                           Span(display, line, col, line, col + 1),
                           help="save the rule file as UTF-8 (it may have been saved as GBK or Big5)")
                return
            except OSError as exc:
                sink.error("SEG008", f"cannot read `{display}`: {exc.strerror}", at)
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
