"""Pages of the documentation site generated from the code at build time (a mkdocs hook).

A page holding the marker `<!-- generated: cli -->` gets the command-line
reference written from the typer app itself (every command, argument and
option, with its help text and default), and `<!-- generated: codes -->`
the table of diagnostic codes from segdsl/diagnostics/codes.py. Nothing is
copied by hand, so the site cannot fall behind the code; tests/docs/ checks
both against the app and the table.
"""
from __future__ import annotations

import typer

def _arguments(command) -> list:
    """The positional arguments (typer ships its own click: tell parameters apart by kind)."""
    return [p for p in command.params if p.param_type_name == "argument"]


def _options(command) -> list:
    return [p for p in command.params if p.param_type_name == "option"]


MARKERS = {"<!-- generated: cli -->": "cli", "<!-- generated: codes -->": "codes"}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _metavar(p) -> str:
    word = p.name.upper() + ("..." if p.nargs == -1 else "")
    return word if p.required else f"[{word}]"


def _usage(name: str, command) -> str:
    args = " ".join(_metavar(p) for p in _arguments(command))
    return f"segdsl {name} {args} [OPTIONS]".replace("  ", " ")


def _default(param) -> str:
    if param.default is None or param.default is False or param.default == () or getattr(param, "is_flag", False):
        return ""
    value = getattr(param.default, "value", param.default)
    return f"`{value}`"


def _command(name: str, command) -> list[str]:
    lines = [f"## `segdsl {name}`", "", _cell(command.help or ""), "", "```", _usage(name, command), "```", ""]
    arguments = _arguments(command)
    if arguments:
        lines += ["| argument | meaning |", "| --- | --- |"]
        lines += [f"| `{_metavar(p)}` | {_cell(getattr(p, 'help', '') or '')} |" for p in arguments]
        lines.append("")
    options = _options(command)
    lines += ["| option | meaning | default |", "| --- | --- | --- |"]
    for p in options:
        flags = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
        lines.append(f"| {flags} | {_cell(p.help or '')} | {_default(p)} |")
    lines.append("| `--help` | show the help and exit | |")
    return lines + [""]


def cli_markdown() -> str:
    """The command-line reference, from the typer app."""
    from segdsl.cli import app
    group = typer.main.get_command(app)
    lines = [f"Every command of `segdsl`, as `segdsl COMMAND --help` prints it. {_cell(group.help or '')}", ""]
    for name, command in group.commands.items():
        lines += _command(name, command)
    return "\n".join(lines)


def codes_markdown() -> str:
    """The table of diagnostic codes, from segdsl/diagnostics/codes.py."""
    from segdsl.diagnostics.codes import CODES
    lines = ["| code | severity | what it means |", "| --- | --- | --- |"]
    lines += [f"| `{c.code}` | {c.severity.value} | {_cell(c.title)} |" for c in CODES.values()]
    return "\n".join(lines) + "\n"


GENERATORS = {"cli": cli_markdown, "codes": codes_markdown}


def on_page_markdown(markdown: str, page, config, files) -> str:
    for marker, kind in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, GENERATORS[kind]())
    return markdown
