"""The documentation site builds with `mkdocs build --strict` (no warning at all), in English
and Simplified Chinese, with the generated reference pages filled in."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.full


def test_the_site_builds_strictly_in_both_languages(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNING" not in r.stderr, r.stderr
    for page in ["tutorial", "concepts", "cookbook"]:
        en = (site / page / "index.html").read_text(encoding="utf-8")
        zh = (site / "zh" / page / "index.html").read_text(encoding="utf-8")
        assert 'hreflang="zh"' in en and 'hreflang="en"' in zh     # the language switcher
        assert en != zh
    assert "十分钟上手" in (site / "zh" / "tutorial" / "index.html").read_text(encoding="utf-8")
    cli = (site / "cli-reference" / "index.html").read_text(encoding="utf-8")
    assert "segdsl init" in cli and "--min-coverage" in cli and "generated:" not in cli
    codes = (site / "diagnostic-codes" / "index.html").read_text(encoding="utf-8")
    assert "SEG001" in codes and "SEG404" in codes
