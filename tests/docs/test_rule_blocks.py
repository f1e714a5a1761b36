"""Every rule file shown in the docs (a ```seg block) checks clean and passes its own tests.

Pages show fragments in ```text blocks; a ```seg block is a whole rule file
a reader can copy, so it must work as shown.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from tests.docs.blocks import blocks

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md"))
CASES = [pytest.param(page, b, id=f"{page.name}:{b.line}") for page in PAGES for b in blocks(page, "seg")]

runner = CliRunner()


def test_the_pages_show_rule_files():
    pages = {case.values[0].name for case in CASES}
    assert {"tutorial.md", "tutorial.zh.md", "concepts.md", "concepts.zh.md", "cookbook.md",
            "cookbook.zh.md"} <= pages


@pytest.mark.parametrize("page,block", CASES)
def test_a_rule_file_in_the_docs_checks_and_passes_its_tests(tmp_path, page, block):
    f = tmp_path / (block.title or "rules.seg")
    f.write_text(block.body, encoding="utf-8")
    checked = runner.invoke(app, ["check", "--strict", str(f)])
    assert checked.exit_code == 0, f"{page.name}:{block.line}\n{checked.output}"
    tested = runner.invoke(app, ["test", "--min-coverage", "100", str(f)])
    assert tested.exit_code == 0, f"{page.name}:{block.line}\n{tested.output}"


@pytest.mark.parametrize("page,block", CASES)
def test_a_rule_file_in_the_docs_is_shown_formatted(page, block):
    """A reader copies what the docs show; it should be what `segdsl fmt` would leave."""
    from segdsl.fmt import format_source
    from segdsl.source import Source
    formatted = format_source(Source(block.title or "rules.seg", block.body))
    assert formatted.text == block.body, f"{page.name}:{block.line} is not in `segdsl fmt` layout"
