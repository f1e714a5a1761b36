"""Every help text of the command line has its Chinese translation (the test names each one
missing: a new command's or option's help belongs in segdsl/i18n/zh.po and en.po)."""
from __future__ import annotations

import typer

from segdsl.cli import app
from segdsl.i18n.catalog import lookup


def _helps(command) -> list[str]:
    found = [command.help] if command.help else []
    found += [p.help for p in command.params if getattr(p, "help", None)]
    for sub in getattr(command, "commands", {}).values():
        found += _helps(sub)
    return found


def test_every_help_text_is_translated():
    helps = _helps(typer.main.get_command(app))
    assert len(helps) > 50
    missing = sorted({h for h in helps if lookup(h, "zh") is None})
    assert not missing, missing
