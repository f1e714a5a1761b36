"""Diagnostics as GitHub Actions workflow commands (`check --format github`): each becomes an
annotation on the line of the pull request it is about.

    ::warning file=rules.seg,line=8,col=11,endLine=8,endColumn=18,title=SEG401::message

Values are escaped as the runner reads them (`%`, CR, LF in the message;
also `,` and `:` in properties), so no rule text can end a command early or
start another; control and direction characters are shown as by `check`.
"""
from __future__ import annotations

from .codes import Severity
from .render import visible
from .values import Diagnostic

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(d: Diagnostic) -> str:
    props = []
    sp = d.span
    if sp is not None and sp.path:
        props.append(("file", visible(sp.path)))
        if sp.line > 0:
            props += [("line", str(sp.line)), ("col", str(sp.col))]
            if sp.end_line >= sp.line and sp.end_col > 0:
                props += [("endLine", str(sp.end_line)), ("endColumn", str(sp.end_col))]
    props.append(("title", d.code))
    text = d.message + (f" (help: {d.help})" if d.help else "")
    text = "\n".join(visible(line) for line in text.split("\n"))
    head = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{COMMANDS[d.severity]} {head}::{escape_data(text)}"


def github(diags: list[Diagnostic]) -> str:
    return "\n".join(command(d) for d in diags)
