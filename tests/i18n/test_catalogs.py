"""The message catalogs: the same message ids in English and Chinese, every Chinese entry
translated, and each translation using exactly the names and values its English template has."""
from __future__ import annotations

import re

from segdsl.i18n.catalog import entries, lookup, translate

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_message_id_is_in_both_catalogs():
    en, zh = set(entries("en")), set(entries("zh"))
    assert en == zh, {"only in en.po": sorted(en - zh), "only in zh.po": sorted(zh - en)}
    assert len(en) > 200


def test_every_chinese_entry_is_translated():
    missing = sorted(msgid for msgid, msgstr in entries("zh").items() if not msgstr)
    assert not missing, missing


def test_a_translation_keeps_the_names_and_values_of_its_template():
    wrong = {msgid: msgstr for msgid, msgstr in entries("zh").items()
             if set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(msgstr))}
    assert not wrong, wrong


def test_names_are_never_translated():
    # `help` and `segment` are catalog entries of their own, yet as rule-file names they stay
    assert translate("unknown field `help`", "zh") == "没有名为 `help` 的字段"
    assert translate("unknown dimension `segment`", "zh") == "没有名为 `segment` 的维度"
    assert translate("`客户级别` is not a member of the enum of `合约`", "zh") == "`客户级别` 不是 `合约` 的可选值"


def test_a_message_without_an_entry_stays_in_english():
    text = "a message no catalog knows about `x`"
    assert lookup(text, "zh") is None
    assert translate(text, "zh") == text
    assert translate("unknown field `x`", "en") == "unknown field `x`"


def test_plurals_match_either_form():
    assert translate("ok: 1 file checked, 0 errors, 1 warning", "zh") == "通过：检查了 1 个文件，0 个错误，1 个警告"
    assert translate("failed: 3 files checked, 2 errors, 0 warnings", "zh") == "未通过：检查了 3 个文件，2 个错误，0 个警告"
