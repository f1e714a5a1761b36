"""The command line's text off a terminal, written without rich (cli_plain.py): byte for
byte what rich writes, checked against rich itself; and rich wherever that is not sure."""
from __future__ import annotations

import io
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.testing import CliRunner

from segdsl import cli, cli_plain
from segdsl.cli import app

# ASCII, wide Chinese characters and punctuation, and what must go to rich: a tab, control
# characters, a combining mark, emoji with a variation selector or a skin tone, a filler, a
# narrow symbol
PIECES = st.sampled_from(list("ab yZ09[]:/\\_-%.,") + list("价值客户，（）：")
                         + ["\t", "\x07", "\r", "\u0301", "\u2764\ufe0f", "€", "😀", "👍\U0001f3fb", "\u3164"])
TEXT = st.lists(PIECES, max_size=12).map("".join)
PLAIN_CHARS = "ab yZ09[]:/\\_-%.,价值客户，（）："
PLAIN = st.lists(st.sampled_from(list(PLAIN_CHARS)), max_size=12).map("".join)
TEXTS = st.one_of(PLAIN, TEXT)


def rich_console(width: int | None = None) -> Console:
    """A console as the command line makes it (cli.out), writing to a string."""
    return Console(file=io.StringIO(), highlight=False, soft_wrap=True, emoji=False, width=width)


def test_every_character_taken_has_the_width_rich_gives_it():
    taken = 0
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        w = cli_plain.width(c)
        if w is not None:
            taken += 1
            assert w == cell_len(c), (hex(code), w, cell_len(c))
    assert taken > 90_000
    assert all(cli_plain.width(chr(c)) == 2 for c in range(0x4E00, 0xA000))        # the CJK ideographs
    assert cli_plain.width("客户，（等级）：") == 16 and cli_plain.width("😀") is None


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(TEXTS, max_size=3).map("\n".join), end=st.sampled_from(["\n", ""]))
def test_a_line_is_what_rich_writes(text, end):
    plain = cli_plain.line(text)
    assert (plain is not None) == (set(text) <= set(PLAIN_CHARS + "\n"))
    if plain is not None:
        console = rich_console()
        console.print(text, markup=False, end=end)
        assert plain + end == console.file.getvalue()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), columns=st.integers(1, 5), limit=st.integers(8, 100))
def test_a_table_is_what_rich_draws(data, columns, limit):
    texts = data.draw(st.sampled_from([PLAIN, TEXTS]))
    title = data.draw(texts.filter(bool))
    headers = data.draw(st.lists(texts, min_size=columns, max_size=columns))
    right = data.draw(st.lists(st.booleans(), min_size=columns, max_size=columns))
    rows = data.draw(st.lists(st.lists(texts, min_size=columns, max_size=columns), min_size=1, max_size=6))
    plain = cli_plain.table(title, headers, right, rows, limit)
    if texts is PLAIN and all(t == t.strip(" ") for t in [title, *headers, *sum(rows, [])]):
        needed = max(sum(max(cell_len(r[i]) for r in [headers, *rows]) + 3 for i in range(columns)) + 1,
                     cell_len(title))
        assert (plain is None) == (needed > limit)
    if plain is not None:
        console = rich_console(limit)
        t = Table(title=Text(title), title_justify="left")
        for header, r in zip(headers, right):
            t.add_column(Text(header), justify="right" if r else "left")
        for row in rows:
            t.add_row(*map(Text, row))
        console.print(t)
        assert plain == console.file.getvalue()


def test_a_plain_table_is_drawn_and_one_wider_than_the_console_is_left_to_rich():
    rows = [["churn_risk", "流失预警", "6", "60.0%"], ["new", "新入网", "1,000", "0.0%"]]
    args = ("status 在网状态 (first)", ["segment", "label", "customers", "share"], [False, False, True, True], rows)
    assert cli_plain.table(*args, 80).splitlines()[4] == "│ churn_risk │ 流失预警 │         6 │ 60.0% │"
    assert cli_plain.table(*args, 40) is None
    assert cli_plain.table("t", ["a"], [False], [["a\tb"]], 80) is None


class _Stream(io.StringIO):
    def __init__(self, tty: bool, encoding: str = "utf-8"):
        super().__init__()
        self._tty, self._encoding = tty, encoding

    def isatty(self):
        return self._tty

    @property
    def encoding(self):
        return self._encoding


@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("env", [{}, {"FORCE_COLOR": "1"}, {"FORCE_COLOR": ""}, {"TTY_COMPATIBLE": "0"},
                                 {"TTY_COMPATIBLE": "1"}, {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}])
@pytest.mark.parametrize("encoding", ["utf-8", "UTF-16", "ascii", "cp1252"])
def test_a_stream_is_plain_where_rich_writes_no_styles_and_its_own_boxes(monkeypatch, tty, env, encoding):
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = _Stream(tty, encoding)
    console = Console(file=stream)
    assert cli_plain.stream_is_plain(stream) == (not console.is_terminal and console.encoding.startswith("utf"))


@pytest.mark.parametrize("columns", [None, "57", "200", "wide"])
def test_the_console_width_is_rich_s(monkeypatch, columns):
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert cli_plain.console_width() == Console(file=io.StringIO()).width


RULES = '''
ruleset shop "商店" version "1"
input customer key id {
  id:    string
  spend: number?
}
dimension value "价值 [b]x[/b]" first {
  segment vip  "贵宾" when spend >= 1000
  segment good "优质" when spend >= 100
}
dimension tags "标签" all {
  segment big "大额" when spend >= 500
}
'''


@pytest.mark.parametrize("columns", ["80", "30"])
def test_apply_writes_what_rich_writes(tmp_path, monkeypatch, columns):
    """The summary of a real run off a terminal, without rich and with it: the same bytes,
    with a label that rich would read as markup, and with a console too narrow for the
    tables (which then go to rich)."""
    rules = tmp_path / "r.seg"
    rules.write_text(RULES, encoding="utf-8")
    data = tmp_path / "in.csv"
    data.write_text("id,spend\na,1500\nb,150\nc,\nd,600\n", encoding="utf-8")
    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    # rich fixes a console's width from COLUMNS when it is created: not from an earlier test's
    monkeypatch.setattr(cli.out, "_console", None)

    def run() -> str:
        result = CliRunner().invoke(app, ["apply", str(rules), "-i", str(data), "-o", str(tmp_path / "o.csv")])
        assert result.exit_code == 0, result.output
        return result.output
    written = []
    monkeypatch.setattr(cli_plain, "table", lambda *a, table=cli_plain.table: written.append(table(*a)) or written[-1])
    plain = run()
    assert len(written) == 2 and all((t is None) == (columns == "30") for t in written)
    monkeypatch.setattr(cli_plain, "stream_is_plain", lambda file: False)
    monkeypatch.setattr(cli, "out", cli._Console(highlight=False, soft_wrap=True, emoji=False))
    assert run() == plain
    assert "value 价值 [b]x[/b] (first)\n" in plain
