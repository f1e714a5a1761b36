"""The language server over its protocol: diagnostics, completion, hover, navigation, rename,
symbols and formatting, as an editor asks for them."""
from __future__ import annotations

from lsprotocol import types as T

RULES = '''ruleset shop "商店"

param min_spend: number = 100 "门槛"

input customer key id {
  id:      string
  spend:   number? in 0..100000 "近一年消费"
  network: enum { in_net "在网", off_net "离网" }
}

related orders of customer by cid {
  cid:    string
  amount: number
}

let total "订单总额" = sum(orders.amount)

dimension status "状态" first {
  segment active "活跃" when network = in_net and spend >= min_spend
  otherwise other "其他"
}

dimension action "动作" first {
  segment keep "维系" when status = active
  segment call when status != active and total > 0
}

test "an active customer" {
  given { id: "a", spend: 500, network: in_net }
  expect status = active
}
'''


def pos(text: str, needle: str, nth: int = 0, offset: int = 0) -> T.Position:
    """The position of the `nth` occurrence of `needle` (plus `offset` characters)."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at)
    return T.Position(line, at - (text.rfind("\n", 0, at) + 1) + offset)


def doc(uri: str) -> T.TextDocumentIdentifier:
    return T.TextDocumentIdentifier(uri=uri)


def test_a_clean_file_has_no_error(lsp):
    uri = lsp.open("clean.seg", RULES)
    assert [d for d in lsp.diagnostics[uri] if d.severity == T.DiagnosticSeverity.Error] == []


def test_a_misspelt_field_is_reported_where_it_is_with_the_did_you_mean(lsp):
    text = RULES.replace("spend >= min_spend", "spnd >= min_spend")
    uri = lsp.open("misspelt.seg", text)
    [d] = lsp.diagnostics[uri]
    start = pos(text, "spnd >=")
    assert d.code == "SEG102" and d.source == "segdsl" and d.severity == T.DiagnosticSeverity.Error
    assert d.range == T.Range(start, T.Position(start.line, start.character + 4))
    assert "unknown field `spnd`" in d.message and "did you mean `spend`?" in d.message


def test_diagnostics_follow_the_text_as_it_is_typed(lsp):
    uri = lsp.open("typing.seg", RULES)
    lsp.change(uri, RULES.replace("segment keep", "segment keep keep"))
    [d] = lsp.diagnostics[uri]
    assert d.code == "SEG001"
    lsp.change(uri, RULES, version=3)
    assert not [d for d in lsp.diagnostics[uri] if d.severity == T.DiagnosticSeverity.Error]


def completion_labels(lsp, uri: str, position: T.Position) -> list[str]:
    result = lsp.call(lsp.client.text_document_completion_async(T.CompletionParams(doc(uri), position)))
    return [i.label for i in result.items]


def test_completion_after_an_enum_comparison_offers_its_members(lsp):
    uri = lsp.open("complete_enum.seg", RULES)
    typed = RULES.replace('segment call when status != active and total > 0',
                          'segment call when network = ')
    lsp.change(uri, typed)                      # the line is incomplete: a syntax error right now
    assert lsp.diagnostics[uri][0].code == "SEG001"
    at = pos(typed, "when network = ", offset=len("when network = "))
    assert completion_labels(lsp, uri, at) == ["in_net", "off_net"]


def test_completion_next_to_a_dimension_offers_its_segments(lsp):
    typed = RULES.replace("expect status = active", "expect status = ")
    uri = lsp.open("complete_segment.seg", typed)
    at = pos(typed, "expect status = ", offset=len("expect status = "))
    assert completion_labels(lsp, uri, at) == ["active", "other"]
    in_list = RULES.replace("when status = active", "when status in [active, ")
    lsp.change(uri, in_list)
    assert completion_labels(lsp, uri, pos(in_list, "[active, ", offset=9)) == ["active", "other"]


def test_completion_elsewhere_offers_names_functions_and_keywords(lsp):
    uri = lsp.open("complete_all.seg", RULES)
    result = lsp.call(lsp.client.text_document_completion_async(
        T.CompletionParams(doc(uri), pos(RULES, "spend >= min_spend"))))
    items = {i.label: i for i in result.items}
    assert {"spend", "network", "min_spend", "total", "status", "orders", "when", "dimension"} <= set(items)
    assert items["spend"].detail == "field: number?" and items["spend"].documentation == "近一年消费"
    assert items["total"].detail == "let: number"
    assert items["days_between"].detail == "days_between(a date, a date)"
    assert items["percent_rank"].kind == T.CompletionItemKind.Function
    rows = RULES.replace("sum(orders.amount)", "sum(orders.")
    lsp.change(uri, rows)
    assert completion_labels(lsp, uri, pos(rows, "orders.", offset=7)) == ["cid", "amount"]


def hover_text(lsp, uri: str, position: T.Position) -> str:
    h = lsp.call(lsp.client.text_document_hover_async(T.HoverParams(doc(uri), position)))
    return h.contents.value if h else ""


def test_hover_on_a_field_shows_its_type_nullability_range_and_label(lsp):
    uri = lsp.open("hover.seg", RULES)
    text = hover_text(lsp, uri, pos(RULES, "spend >= min_spend", offset=2))
    assert "**spend** — field: number?" in text
    assert "may be missing (null)" in text and "range: 0..100000" in text and "label: 近一年消费" in text
    seg = hover_text(lsp, uri, pos(RULES, "status = active", offset=len("status = ")))
    assert "**active** — segment of `status`" in seg and "when network = in_net and spend >= min_spend" in seg
    assert "label: 活跃" in seg
    assert "let: number" in hover_text(lsp, uri, pos(RULES, "total > 0"))


def test_go_to_definition_on_a_segment_reference_jumps_to_the_segment(lsp):
    uri = lsp.open("definition.seg", RULES)
    loc = lsp.call(lsp.client.text_document_definition_async(
        T.DefinitionParams(doc(uri), pos(RULES, "status = active", offset=len("status = ") + 1))))
    target = pos(RULES, "active \"活跃\"")
    assert loc.uri == uri and loc.range == T.Range(target, T.Position(target.line, target.character + 6))
    field = lsp.call(lsp.client.text_document_definition_async(
        T.DefinitionParams(doc(uri), pos(RULES, "orders.amount", offset=8))))
    assert field.range.start == pos(RULES, "amount: number")


def test_references_and_rename_cover_every_use(lsp):
    uri = lsp.open("rename.seg", RULES)
    refs = lsp.call(lsp.client.text_document_references_async(T.ReferenceParams(
        text_document=doc(uri), position=pos(RULES, "status = active"),
        context=T.ReferenceContext(include_declaration=True))))
    assert len(refs) == 4           # the dimension, two conditions, the test's expectation
    edit = lsp.call(lsp.client.text_document_rename_async(
        T.RenameParams(text_document=doc(uri), position=pos(RULES, "network = in_net"), new_name="网络")))
    lines = RULES.split("\n")
    for e in edit.changes[uri]:
        line = lines[e.range.start.line]
        lines[e.range.start.line] = line[:e.range.start.character] + e.new_text + line[e.range.end.character:]
    renamed = "\n".join(lines)
    assert "网络: enum" in renamed and "when 网络 = in_net" in renamed and "网络: in_net" in renamed
    lsp.change(uri, renamed)
    assert not [d for d in lsp.diagnostics[uri] if d.severity == T.DiagnosticSeverity.Error]


def test_document_symbols_outline_dimensions_and_segments(lsp):
    uri = lsp.open("symbols.seg", RULES)
    symbols = lsp.call(lsp.client.text_document_document_symbol_async(T.DocumentSymbolParams(doc(uri))))
    dims = {s.name: [c.name for c in s.children or []] for s in symbols if s.kind == T.SymbolKind.Class}
    assert dims == {"status": ["active", "other"], "action": ["keep", "call"]}


def test_formatting_is_segdsl_fmt(lsp):
    messy = RULES.replace("segment keep \"维系\" when status = active", "segment keep \"维系\" when status=active")
    uri = lsp.open("format.seg", messy)
    edits = lsp.call(lsp.client.text_document_formatting_async(
        T.DocumentFormattingParams(doc(uri), T.FormattingOptions(tab_size=2, insert_spaces=True))))
    assert len(edits) == 1 and "segment keep \"维系\" when status = active" in edits[0].new_text
    broken = lsp.open("broken.seg", "ruleset t\nlet a = (1 +\n")
    assert lsp.call(lsp.client.text_document_formatting_async(
        T.DocumentFormattingParams(doc(broken), T.FormattingOptions(tab_size=2, insert_spaces=True)))) in ([], ())


def test_hover_and_completion_work_in_a_file_with_a_type_error(lsp):
    """The checker's partial result: everything that checked is still described."""
    text = RULES.replace("segment call when status != active and total > 0",
                         'segment call when status != active and total > "many"')
    uri = lsp.open("type_error.seg", text)
    assert [d.code for d in lsp.diagnostics[uri]] == ["SEG201"]
    assert "field: number?" in hover_text(lsp, uri, pos(text, "spend >= min_spend"))
    assert "let: number" in hover_text(lsp, uri, pos(text, "total >"))
    assert completion_labels(lsp, uri, pos(text, "when network = ", offset=len("when network = "))) == \
        ["in_net", "off_net"]


def test_a_file_opened_with_the_line_being_typed_incomplete_still_completes(lsp):
    typed = RULES.replace("expect status = active", "expect status = ")
    uri = lsp.open("never_parsed.seg", typed)
    assert lsp.diagnostics[uri][0].code == "SEG001"
    at = pos(typed, "expect status = ", offset=len("expect status = "))
    assert completion_labels(lsp, uri, at) == ["active", "other"]


def test_a_problem_in_an_imported_file_is_shown_on_its_import(lsp):
    (lsp.root / "common.seg").write_text("let broken = spend +\n", encoding="utf-8")
    text = RULES.replace('param min_spend', 'import "common.seg"\n\nparam min_spend')
    uri = lsp.open("imports.seg", text)
    [d] = lsp.diagnostics[uri]
    start = pos(text, 'import "common.seg"')
    assert d.code == "SEG001" and d.range.start == start
    assert d.message.startswith(f"in {lsp.root / 'common.seg'}:1:21: expected a value after `+`")


def test_a_burst_of_keystrokes_is_analysed_once_when_the_typing_pauses(lsp):
    uri = lsp.open("burst.seg", RULES)
    lsp.versions[uri] = []
    typed = "segment keep \"维系\" when status = active"
    for i, n in enumerate(range(len("segment keep"), len(typed) + 1, 8)):
        lsp.change(uri, RULES.replace(typed, typed[:n]), version=2 + i, wait=False)
    lsp.change(uri, RULES.replace("spend >= min_spend", "spnd >= min_spend"), version=20)
    lsp.pause(0.6)
    assert lsp.versions[uri] == [20]
    assert [d.code for d in lsp.diagnostics[uri]] == ["SEG102"]


def test_the_did_you_mean_is_a_quick_fix(lsp):
    text = RULES.replace("spend >= min_spend", "spnd >= min_spend")
    uri = lsp.open("quick_fix.seg", text)
    [d] = lsp.diagnostics[uri]
    actions = lsp.call(lsp.client.text_document_code_action_async(T.CodeActionParams(
        text_document=doc(uri), range=d.range, context=T.CodeActionContext(diagnostics=[d]))))
    [fix] = actions
    assert fix.title == "Change to `spend`" and fix.kind == T.CodeActionKind.QuickFix and fix.is_preferred
    [edit] = fix.edit.changes[uri]
    assert edit.range == d.range and edit.new_text == "spend"


def test_enum_members_hover_jump_and_rename_keeping_their_data_value(lsp):
    uri = lsp.open("members.seg", RULES)
    text = hover_text(lsp, uri, pos(RULES, "network = in_net", offset=len("network = ")))
    assert "**in_net** — member of `network`" in text and "in the data: `in_net`" in text and "label: 在网" in text
    loc = lsp.call(lsp.client.text_document_definition_async(
        T.DefinitionParams(doc(uri), pos(RULES, "network: in_net", offset=len("network: ")))))
    assert loc.range.start == pos(RULES, 'in_net "在网"')
    edit = lsp.call(lsp.client.text_document_rename_async(
        T.RenameParams(text_document=doc(uri), position=pos(RULES, "network = in_net", offset=11), new_name="在网")))
    lines = RULES.split("\n")
    for e in sorted(edit.changes[uri], key=lambda e: (e.range.start.line, -e.range.start.character)):
        line = lines[e.range.start.line]
        lines[e.range.start.line] = line[:e.range.start.character] + e.new_text + line[e.range.end.character:]
    renamed = "\n".join(lines)
    assert 'enum { 在网 = "in_net" "在网", off_net' in renamed
    assert "when network = 在网 and" in renamed and "network: 在网 }" in renamed
    lsp.change(uri, renamed)
    assert not [d for d in lsp.diagnostics[uri] if d.severity == T.DiagnosticSeverity.Error]
