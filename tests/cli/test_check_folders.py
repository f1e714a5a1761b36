"""`segdsl check DIR` and `segdsl test DIR`: a folder stands for every rule file under it."""
from __future__ import annotations

import json
import os
import shutil

from typer.testing import CliRunner

from segdsl.cli import app
from tests.helpers import RULESETS, TINY_RULES

runner = CliRunner()


def _project(tmp_path):
    (tmp_path / "rules" / "team").mkdir(parents=True)
    (tmp_path / "rules" / ".snapshots").mkdir()
    shutil.copy(RULESETS[0], tmp_path / "rules" / RULESETS[0].name)
    (tmp_path / "rules" / "team" / "tiny.seg").write_text(TINY_RULES, encoding="utf-8")
    (tmp_path / "rules" / "team" / "notes.txt").write_text("not a rule file", encoding="utf-8")
    (tmp_path / "rules" / ".snapshots" / "old.seg").write_text("ruleset broken {", encoding="utf-8")
    return tmp_path / "rules"


def test_check_of_a_folder_checks_every_rule_file_under_it(tmp_path):
    rules = _project(tmp_path)
    r = runner.invoke(app, ["check", str(rules)])
    assert r.exit_code == 0, r.output
    assert "ok: 2 files checked" in r.output        # hidden folders and other files are left alone
    (rules / "team" / "broken.seg").write_text("ruleset broken {", encoding="utf-8")
    r = runner.invoke(app, ["check", str(rules), "--format", "json"])
    assert r.exit_code == 1
    assert {d["file"].rsplit("/", 1)[-1] for d in json.loads(r.stdout)} == {"broken.seg"}


def test_test_of_a_folder_runs_the_tests_of_every_rule_file(tmp_path):
    rules = _project(tmp_path)
    r = runner.invoke(app, ["test", str(rules), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)) == 2


def test_links_in_a_loop_pipes_and_devices_under_a_folder_are_passed_over(tmp_path):
    rules = _project(tmp_path)
    (rules / "ring").symlink_to("ring")
    (rules / "team" / "back").symlink_to("..")
    os.mkfifo(rules / "pipe.seg")
    r = runner.invoke(app, ["check", str(rules)])
    assert r.exit_code == 0, r.output
    assert "ok: 2 files checked" in r.output


def test_a_folder_without_rule_files_is_a_usage_error(tmp_path):
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["check", str(tmp_path / "empty")])
    assert r.exit_code == 2
    assert f"{tmp_path / 'empty'}: no .seg file under this folder" in r.output
    assert "Traceback" not in r.output
