"""The tutorial, followed as a new user would, in English and in Chinese: every shell command
run in order (a real `segdsl` process in an empty folder), every rule file saved where the
page says, every edit the page asks for made. A command ends with exit code 0 unless its
line says `# exit N`."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.blocks import Block, Replace, items

ROOT = Path(__file__).resolve().parents[2]
EXPECT = re.compile(r"#\s*exit\s+(\d+)\s*$")

pytestmark = pytest.mark.full


def _segdsl(bin_dir: Path) -> None:
    """`segdsl` on PATH: this checkout's command line, run by this interpreter."""
    script = bin_dir / "segdsl"
    script.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m segdsl.cli \"$@\"\n", encoding="utf-8")
    script.chmod(0o755)


def _commands(block: Block) -> list[tuple[str, int]]:
    out = []
    for line in block.body.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = EXPECT.search(line)
        out.append((line[:m.start()].strip() if m else line, int(m.group(1)) if m else 0))
    return out


@pytest.mark.parametrize("page", ["tutorial.md", "tutorial.zh.md"])
def test_every_tutorial_command_works_as_written(tmp_path, page):
    work, bin_dir = tmp_path / "work", tmp_path / "bin"
    work.mkdir()
    bin_dir.mkdir()
    _segdsl(bin_dir)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    ran = 0
    for item in items(ROOT / "docs" / page):
        if isinstance(item, Replace):
            f = work / item.file
            text = f.read_text(encoding="utf-8")
            assert item.old in text, (page, item.line, item.old)
            f.write_text(text.replace(item.old, item.new), encoding="utf-8")
        elif item.lang == "seg" and item.title:
            (work / item.title).write_text(item.body, encoding="utf-8")
        elif item.lang == "sh":
            for command, code in _commands(item):
                r = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True,
                                   timeout=300)
                assert r.returncode == code, f"{page}:{item.line}: {command}\n{r.stdout}\n{r.stderr}"
                ran += 1
    assert ran >= 10, ran
