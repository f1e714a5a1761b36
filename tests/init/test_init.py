"""`segdsl init`: every template scaffolds a folder whose printed next commands all succeed,
and nothing is ever overwritten.

The real command line through typer's CliRunner, in a temporary working folder.
"""
from __future__ import annotations

import os
import shlex
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.cli import app
from segdsl.service import init as scaffolding

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "segdsl" / "templates"
DOMAINS = sorted(p.name for p in (ROOT / "rulesets").iterdir() if (p / "template.toml").is_file())

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_the_domain_library_is_there():
    assert set(DOMAINS) == {"telecom_quadrants", "real_estate_chain", "direct_selling", "ecommerce_lifecycle",
                            "telesales", "classic_bases"}


def test_list_shows_every_domain_in_both_languages():
    result = run("init", "--list")
    assert result.exit_code == 0, result.output
    for t in scaffolding.templates():
        assert t.domain in result.output and t.summary_zh in result.output
    assert [t.domain for t in scaffolding.templates()] == DOMAINS


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_scaffold_passes_the_three_commands_it_prints(tmp_path, monkeypatch, domain):
    monkeypatch.chdir(tmp_path)
    result = run("init", domain, "mine")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    commands = [shlex.split(line) for line in lines[lines.index("next:") + 1:]]
    assert len(commands) == 3 and all(c[0] == "segdsl" for c in commands), result.output
    assert (tmp_path / "mine" / "README.md").is_file()
    assert not (tmp_path / "mine" / "template.toml").exists()
    for command in commands:
        r = run(*command[1:])
        assert r.exit_code == 0, (command, r.output)
    out = tmp_path / "mine" / "segments.csv"
    assert out.is_file() and len(out.read_text(encoding="utf-8").splitlines()) > 5


def test_the_sample_data_comes_with_the_scaffold(tmp_path):
    made = scaffolding.scaffold("telecom_quadrants", tmp_path / "t")
    sample = tmp_path / "t" / "telco_customers.csv"
    assert sample in made.files
    assert sample.read_bytes() == (ROOT / "segdsl" / "samples" / "telco_customers.csv").read_bytes()


def test_an_existing_file_is_never_overwritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "direct_selling.seg").write_text("my own rules", encoding="utf-8")
    result = run("init", "direct_selling", "mine")
    assert result.exit_code == 2
    assert "already holds direct_selling.seg" in result.output and "nothing was written" in result.output
    assert (tmp_path / "mine" / "direct_selling.seg").read_text(encoding="utf-8") == "my own rules"
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["direct_selling.seg"]


def test_a_second_init_into_the_same_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("init", "telesales").exit_code == 0
    before = {p: p.read_bytes() for p in (tmp_path / "telesales").iterdir()}
    result = run("init", "telesales")
    assert result.exit_code == 2 and "nothing was written" in result.output
    assert {p: p.read_bytes() for p in (tmp_path / "telesales").iterdir()} == before


def test_an_unknown_domain_names_the_likeliest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("init", "telecom_quadrant")
    assert result.exit_code == 2
    assert "did you mean `telecom_quadrants`?" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_file_as_the_folder_is_a_usage_error(tmp_path):
    (tmp_path / "f").write_text("x", encoding="utf-8")
    result = run("init", "telesales", str(tmp_path / "f"))
    assert result.exit_code == 2 and "is a file, not a folder" in result.output


def test_no_domain_is_a_usage_error():
    result = run("init")
    assert result.exit_code == 2 and "--list" in result.output


def test_every_base_comes_along(tmp_path):
    made = scaffolding.scaffold("classic_bases", tmp_path / "b")
    names = {p.name for p in made.files}
    assert {"geographic.seg", "demographic.seg", "psychographic.seg", "behavioural.seg", "profile.seg"} <= names


def test_package_data_ships_every_template_file():
    """pyproject's package-data patterns reach every file of every template folder."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = patterns["tool"]["setuptools"]["package-data"]["segdsl"]
    package = ROOT / "segdsl"
    shipped = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    files = {Path(folder, name) for folder, _, names in os.walk(TEMPLATES, followlinks=True) for name in names
             if "__pycache__" not in folder}
    assert files and files <= shipped, sorted(str(p) for p in files - shipped)


@pytest.mark.parametrize("domain", DOMAINS)
def test_rulesets_links_to_the_template(domain):
    """segdsl/templates/DOMAIN is the rulesets folder itself, so the library and `init` never differ."""
    link = TEMPLATES / domain
    assert link.is_symlink() and link.resolve() == (ROOT / "rulesets" / domain).resolve()
