"""The language of messages: `--lang zh|en`, else the locale (LANG=zh_CN.UTF-8 is Chinese),
else English; the command line's help and the run summary follow it. Real processes, so the
locale is the child's own environment."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from segdsl.i18n import from_locale

ROOT = Path(__file__).resolve().parents[2]


def _segdsl(*args: str, lang: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(LANG=lang, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "segdsl.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("env,lang", [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "zh_TW.UTF-8"}, "zh"), ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8"}, "en"), ({}, "en"), ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
])
def test_the_locale_chooses(env, lang):
    assert from_locale(env) == lang


def test_the_help_follows_the_locale():
    zh = _segdsl("check", "--help", lang="zh_CN.UTF-8")
    assert zh.returncode == 0, zh.stderr
    assert "解析规则文件并做类型检查" in zh.stdout
    assert "有警告也算检查不通过" in zh.stdout
    en = _segdsl("check", "--help", lang="C.UTF-8")
    assert "warnings fail the check too" in en.stdout


def test_lang_overrides_the_locale():
    en = _segdsl("--lang", "en", "check", "--help", lang="zh_CN.UTF-8")
    assert "warnings fail the check too" in en.stdout
    zh = _segdsl("--lang", "zh", "check", "--help", lang="C.UTF-8")
    assert "有警告也算检查不通过" in zh.stdout


def test_the_run_summary_in_chinese():
    r = _segdsl("apply", "rulesets/direct_selling/direct_selling.seg", "--input",
                "customer=rulesets/direct_selling/sample.csv", lang="zh_CN.UTF-8")
    assert r.returncode == 0, r.stderr
    assert "客群" in r.stdout and "客户数" in r.stdout
    assert "读取 customer 共 8 行；输出 8 个客户" in r.stdout
    assert "未指定 --output：没有写出文件" in r.stdout
    assert "premium" in r.stdout and "优质顾客" in r.stdout         # names and labels as written


def test_check_and_test_summaries_in_chinese():
    r = _segdsl("test", "rulesets/telesales/telesales.seg", lang="zh_CN.UTF-8")
    assert r.returncode == 0, r.stderr
    assert "规则覆盖率 100%（8 个客群命中 8 个）" in r.stdout
    c = _segdsl("check", "rulesets/telesales/telesales.seg", lang="zh_CN.UTF-8")
    assert "通过：检查了 1 个文件，0 个错误，0 个警告" in c.stderr


def test_a_bad_row_in_chinese(tmp_path):
    rules = ROOT / "rulesets" / "telecom_quadrants" / "telecom_quadrants.seg"
    data = tmp_path / "bad.csv"
    lines = (ROOT / "segdsl" / "samples" / "telco_customers.csv").read_text(encoding="utf-8").splitlines()[:3]
    lines[2] = lines[2].replace(",34,", ",abc,").replace(",56.95,", ",5000,")
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = _segdsl("--lang", "zh", "apply", str(rules), "--input", f"customer={data}", lang="C.UTF-8")
    assert r.returncode == 1
    assert f"错误：{data} 第 2 行（文件第 3 行）：" in r.stderr, r.stderr
    assert "tenure_months（列 \"tenure\"）= 'abc' 不是整数" in r.stderr
    assert "monthly_charges（列 \"MonthlyCharges\"）= 5000 超出范围 0..1000" in r.stderr
    assert "没有写出任何文件" in r.stderr


def test_wrong_usage_in_chinese(tmp_path):
    rules = ROOT / "rulesets" / "telesales" / "telesales.seg"
    r = _segdsl("--lang", "zh", "apply", str(rules), "--input", f"contact={tmp_path / 'nope.csv'}", lang="C.UTF-8")
    assert r.returncode == 2
    assert f"错误：--input contact={tmp_path / 'nope.csv'}：没有这个文件" in r.stderr, r.stderr
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "telesales.seg").write_text("mine", encoding="utf-8")
    r = _segdsl("init", "telesales", str(tmp_path / "mine"), lang="zh_CN.UTF-8")
    assert r.returncode == 2
    assert "已经有 telesales.seg；没有写出任何文件（请选择一个空文件夹）" in r.stderr, r.stderr
