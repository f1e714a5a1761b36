"""The generated reference pages say what the code says: every command and option of the
typer app, every diagnostic code of the table."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import typer

from segdsl.cli import app
from segdsl.diagnostics.codes import CODES

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "docs" / "_hooks" / "generated_pages.py"


def _hook():
    spec = importlib.util.spec_from_file_location("generated_pages", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_lists_every_command_and_option():
    text = _hook().cli_markdown()
    group = typer.main.get_command(app)
    assert group.commands
    for name, command in group.commands.items():
        assert f"## `segdsl {name}`" in text
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert f"`{opt}`" in text, (name, opt)


def test_the_code_table_lists_every_code():
    text = _hook().codes_markdown()
    for code in CODES.values():
        assert f"| `{code.code}` | {code.severity.value} |" in text


def test_the_pages_ask_for_the_generated_text():
    hook = _hook()
    assert "<!-- generated: cli -->" in (ROOT / "docs" / "cli-reference.md").read_text(encoding="utf-8")
    assert "<!-- generated: codes -->" in (ROOT / "docs" / "diagnostic-codes.md").read_text(encoding="utf-8")
    page = hook.on_page_markdown("a\n<!-- generated: codes -->\nb", None, None, None)
    assert "SEG001" in page and "<!--" not in page
