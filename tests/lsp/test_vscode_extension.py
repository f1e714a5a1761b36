"""The VS Code extension (editors/vscode): its TextMate grammar tested with
vscode-tmgrammar-test, on assertion files and on every shipped rule file, and
the extension packaged with vsce.

Needs node and npm (the extension's tools are installed with `npm ci` from
its package-lock.json into editors/vscode/node_modules, which git ignores);
without them the tests say so and are skipped. In the full lane: the first
`npm ci` takes half a minute.
"""
from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXT = ROOT / "editors" / "vscode"
GRAMMAR = "syntaxes/segdsl.tmLanguage.json"
SHIPPED = sorted((ROOT / "rulesets").rglob("*.seg")) + sorted((ROOT / "tests" / "fixtures" / "examples").glob("*.seg"))

pytestmark = [pytest.mark.full,
              pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")),
                                 reason="node and npm are needed to test the VS Code extension")]


def run(*cmd: str, cwd: Path = EXT) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def tools():
    with open(Path(tempfile.gettempdir()) / "segdsl-vscode-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)        # pytest-xdist workers may both get here: one installs
        if not (EXT / "node_modules" / ".bin" / "vscode-tmgrammar-test").exists():
            r = run("npm", "ci", "--no-audit", "--no-fund")
            if r.returncode != 0:
                pytest.skip(f"npm ci could not install the extension's tools: {r.stderr.strip()[-300:]}")
    return EXT / "node_modules" / ".bin"


def test_the_grammar_passes_its_assertion_files(tools):
    r = run(str(tools / "vscode-tmgrammar-test"), "-g", GRAMMAR, "tests/grammar/*.seg")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("run successfuly") == len(list((EXT / "tests" / "grammar").glob("*.seg")))


def test_every_character_of_the_shipped_rule_files_gets_a_scope(tools, tmp_path):
    """Nothing in a real rule file is left unrecognised (only `source.segdsl`), and no
    string runs to the end of its line unclosed."""
    for p in SHIPPED:
        shutil.copy(p, tmp_path / f"{p.parent.name}_{p.name}")
    r = run(str(tools / "vscode-tmgrammar-snap"), "-g", GRAMMAR, "--updateSnapshot", str(tmp_path / "*.seg"))
    assert r.returncode == 0, r.stdout + r.stderr
    bare = []
    for snap in sorted(tmp_path.glob("*.snap")):
        source = ""
        for line in snap.read_text(encoding="utf-8").split("\n"):
            if line.startswith(">"):
                source = line[1:]
            elif line.startswith("#") and "^" in line:
                carets = line.index("^")
                text = source[carets - 1:carets - 1 + line.count("^")]
                if line.rstrip().endswith("source.segdsl") and text.strip():
                    bare.append(f"{snap.name}: {source!r}: {text!r}")
    assert not bare, "\n".join(bare[:20])
    assert len(list(tmp_path.glob("*.snap"))) == len(SHIPPED)


def test_the_extension_packages_with_its_language_client(tools, tmp_path):
    out = tmp_path / "segdsl.vsix"
    r = run(str(tools / "vsce"), "package", "--allow-missing-repository", "--skip-license", "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    names = set(zipfile.ZipFile(out).namelist())
    assert {"extension/package.json", "extension/extension.js", "extension/syntaxes/segdsl.tmLanguage.json",
            "extension/language-configuration.json", "extension/snippets/segdsl.json",
            "extension/node_modules/vscode-languageclient/node.js"} <= names
    assert not any(n.startswith("extension/tests/") for n in names)
