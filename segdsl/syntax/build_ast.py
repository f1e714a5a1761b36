"""Lark parse tree → frozen AST (ast.py). Nothing Lark-shaped leaves here."""
from __future__ import annotations

import datetime as dt
import re

from lark import Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import GrammarError, UnexpectedInput, VisitError

from . import ast as A
from ..diagnostics.values import DiagnosticSink, SegError
from .keywords import KEYWORDS
from .parse import parse_tree, parser
from ..source import Source, Span
from .characters import hidden_characters
from .depth import too_deep
from .errors import glued_keywords


def _unquote(tok: str) -> str:
    body = tok[1:-1]
    return re.sub(r'\\(.)', r'\1', body)


@v_args(meta=True)
class _Builder(Transformer_NonRecursive):
    """Not recursive: a 5,000-term `or` or 500 nested `not` build like any other expression
    (how deep an expression may nest is depth.py's to say)."""
    def __init__(self, source: Source, sink: DiagnosticSink, line_offset: int = 0, col_offset: int = 0):
        super().__init__()
        self.source = source
        self.sink = sink
        self.line_offset = line_offset
        self.col_offset = col_offset

    def _call_userfunc(self, tree, new_children=None):
        """Lark's own, calling the plain callback (`_CALLBACKS`, below) without a wrapper per call."""
        f = _CALLBACKS.get(tree.data)
        if f is None:
            return super()._call_userfunc(tree, new_children)
        children = new_children if new_children is not None else tree.children
        try:
            return f(self, tree.meta, children)
        except GrammarError:
            raise
        except Exception as e:      # noqa: BLE001 - wrapped as Lark wraps it
            raise VisitError(tree.data, tree, e)

    # ---- positions ----
    def span(self, meta) -> Span:
        if getattr(meta, "empty", False) or not hasattr(meta, "line"):
            return Span(self.source.path, self.line_offset or 1, self.col_offset or 1,
                        self.line_offset or 1, self.col_offset or 1)
        return self._shift(meta.line, meta.column, meta.end_line, meta.end_column)

    def tspan(self, tok: Token) -> Span:
        return self._shift(tok.line, tok.column, tok.end_line, tok.end_column)

    def _shift(self, line, col, end_line, end_col) -> Span:
        if self.line_offset:
            return Span(self.source.path, line + self.line_offset - 1,
                        col + (self.col_offset - 1 if line == 1 else 0),
                        end_line + self.line_offset - 1,
                        end_col + (self.col_offset - 1 if end_line == 1 else 0))
        return Span(self.source.path, line, col, end_line, end_col)

    def ident(self, tok: Token) -> str:
        if str(tok) in KEYWORDS:
            self.sink.error("SEG004", f"`{tok}` is a reserved keyword and cannot be used as a name",
                            self.tspan(tok), help=f"choose another name, such as `{tok}_`")
        return str(tok)

    # ---- literals ----
    def number(self, meta, ch):
        t = str(ch[0])
        if re.fullmatch(r"\d+", t):
            return A.Number(self.span(meta), int(t), True)
        return A.Number(self.span(meta), float(t), False)

    def percent(self, meta, ch):
        t = str(ch[0])
        # `90%` is exactly the literal 0.9: go through the decimal text, not 90 / 100
        digits = t[:-1]
        whole, _, frac = digits.partition(".")
        shifted = (whole.rjust(3, "0")[:-2] + "." + whole.rjust(3, "0")[-2:] + frac).lstrip("0")
        if shifted.startswith("."):
            shifted = "0" + shifted
        return A.Percent(self.span(meta), float(shifted), t)

    def negative(self, meta, ch):
        n = ch[0]
        if isinstance(n, A.Number):
            return A.Number(self.span(meta), -n.value, n.is_int)
        return A.Percent(self.span(meta), -n.value, "-" + n.text)

    def string(self, meta, ch):
        return A.String(self.span(meta), _unquote(str(ch[0])))

    def date(self, meta, ch):
        try:
            return A.DateLit(self.span(meta), dt.date.fromisoformat(str(ch[0])))
        except ValueError:
            self.sink.error("SEG007", f"`{ch[0]}` is not a valid date", self.span(meta),
                            help="dates are written YYYY-MM-DD, e.g. 2026-11-01")
            return A.Null(self.span(meta))

    def datetime(self, meta, ch):
        try:
            return A.DateTimeLit(self.span(meta), dt.datetime.fromisoformat(str(ch[0])))
        except ValueError:
            self.sink.error("SEG007", f"`{ch[0]}` is not a valid date and time", self.span(meta),
                            help="write YYYY-MM-DDTHH:MM:SS, e.g. 2011-03-01T10:00:00")
            return A.Null(self.span(meta))

    def true(self, meta, ch):
        return A.Bool(self.span(meta), True)

    def false(self, meta, ch):
        return A.Bool(self.span(meta), False)

    def null(self, meta, ch):
        return A.Null(self.span(meta))

    def duration(self, meta, ch):
        t = str(ch[0])
        if not re.fullmatch(r"\d+", t):
            self.sink.error("SEG007", f"a duration needs a whole number of days, not `{t}`", self.span(meta),
                            help="write e.g. `30 days`")
            return A.Duration(self.span(meta), 0)
        return A.Duration(self.span(meta), int(t))

    def bare_name(self, meta, ch):
        return A.Name(self.span(meta), self.ident(ch[0]))

    def const_list(self, meta, ch):
        return A.ListLit(self.span(meta), tuple(c for c in ch if c is not None))

    # ---- expressions ----
    def name(self, meta, ch):
        return self.bare_name(meta, ch)

    def member(self, meta, ch):
        return A.Member(self.span(meta), ch[0], str(ch[1]), self.tspan(ch[1]))

    def list(self, meta, ch):
        return A.ListLit(self.span(meta), tuple(c for c in ch if c is not None))

    def call(self, meta, ch):
        func = ch[0]
        args, where, by, desc = [], None, (), False
        for c in ch[1:]:
            if c is None:
                continue
            if isinstance(c, tuple) and c and c[0] == "where":
                where = c[1]
            elif isinstance(c, tuple) and c and c[0] == "by":
                by = c[1]
            elif isinstance(c, Token) and c.type == "DESC":
                desc = True
            else:
                args.append(c)
        return A.Call(self.span(meta), str(func), self.tspan(func), tuple(args), desc, where, by)

    def where(self, meta, ch):
        return ("where", ch[0])

    def by(self, meta, ch):
        return ("by", tuple(ch))

    def case(self, meta, ch):
        whens = tuple(c for c in ch[:-1] if c is not None)
        return A.Case(self.span(meta), whens, ch[-1])

    def case_when(self, meta, ch):
        return (ch[0], ch[1])

    def neg(self, meta, ch):
        return A.Neg(self.span(meta), ch[0])

    def _arith(op):
        def f(self, meta, ch):
            return A.Arith(self.span(meta), op, ch[0], ch[1])
        return f

    add, sub, mul, div = _arith("+"), _arith("-"), _arith("*"), _arith("/")

    def compare(self, meta, ch):
        return A.Compare(self.span(meta), str(ch[1]), ch[0], ch[2])

    def between(self, meta, ch):
        return A.Between(self.span(meta), ch[0], ch[1], ch[2], False)

    def not_between(self, meta, ch):
        return A.Between(self.span(meta), ch[0], ch[1], ch[2], True)

    def in_(self, meta, ch):
        return A.In(self.span(meta), ch[0], ch[1], False)

    def not_in(self, meta, ch):
        return A.In(self.span(meta), ch[0], ch[1], True)

    def is_null(self, meta, ch):
        return A.IsNull(self.span(meta), ch[0], False)

    def is_not_null(self, meta, ch):
        return A.IsNull(self.span(meta), ch[0], True)

    def and_(self, meta, ch):
        return A.And(self.span(meta), ch[0], ch[1])

    def or_(self, meta, ch):
        return A.Or(self.span(meta), ch[0], ch[1])

    def not_(self, meta, ch):
        return A.Not(self.span(meta), ch[0])

    # ---- declarations ----
    def label(self, meta, ch):
        return _unquote(str(ch[0]))

    def simple_type(self, meta, ch):
        return A.TypeRef(str(ch[0]), (), self.span(meta))

    def enum_type(self, meta, ch):
        return A.TypeRef("enum", tuple(ch), self.span(meta))

    def enum_member(self, meta, ch):
        name, value, label = ch
        n = self.ident(name)
        return A.EnumMember(n, _unquote(str(value)) if value is not None else n, label, self.tspan(name))

    def range(self, meta, ch):
        return (ch[0], ch[1])

    def default(self, meta, ch):
        return ch[0]

    def missing(self, meta, ch):
        return ch[0]

    def field(self, meta, ch):
        name, type_, nullable, column, missing, rng, default, label = ch
        return A.Field(self.ident(name), type_, nullable is not None,
                       _unquote(str(column)) if column is not None else None,
                       rng, default, label, self.tspan(name), missing)

    def input_decl(self, meta, ch):
        name, key, *fields = ch
        return A.Input(self.ident(name), str(key) if key is not None else None,
                       self.tspan(key) if key is not None else None, tuple(fields), self.tspan(name))

    def related_decl(self, meta, ch):
        name, of, by, *fields = ch
        return A.Related(self.ident(name), str(of), str(by), self.tspan(by), tuple(fields), self.tspan(name))

    def param_decl(self, meta, ch):
        name, type_, default, label = ch
        return A.Param(self.ident(name), type_, default, label, self.tspan(name))

    def let_decl(self, meta, ch):
        name, label, expr = ch
        return A.Let(self.ident(name), label, expr, self.tspan(name))

    def policy(self, meta, ch):
        return str(ch[0])

    def attrs(self, meta, ch):
        return tuple(ch)

    def attr(self, meta, ch):
        key, value = ch
        k = _unquote(str(key)) if key.type == "STRING" else str(key)
        return A.Attribute(k, value, self.tspan(key))

    def segment(self, meta, ch):
        name, label, cond, attrs = ch
        return A.Segment(self.ident(name), label, cond, attrs or (), self.tspan(name))

    def otherwise(self, meta, ch):
        name, label, attrs = ch
        return A.Segment(self.ident(name), label, None, attrs or (), self.tspan(name))

    def dimension(self, meta, ch):
        name, label, policy, *rest = ch
        otherwise = rest[-1]
        segs = tuple(s for s in rest[:-1] if s is not None)
        return A.Dimension(self.ident(name), label, policy, segs, otherwise, self.tspan(name))

    def ruleset_decl(self, meta, ch):
        name, label, version = ch
        return A.Header(str(name), label, _unquote(str(version)) if version is not None else None,
                        self.tspan(name))

    def import_decl(self, meta, ch):
        return A.Import(_unquote(str(ch[0])), self.span(meta))

    # ---- tests ----
    def rec_field(self, meta, ch):
        return (self.ident(ch[0]), ch[1], self.tspan(ch[0]))

    def record(self, meta, ch):
        return A.Record(tuple(c for c in ch if c is not None), self.span(meta))

    def given_record(self, meta, ch):
        return ("record", ch[0])

    def given_rows(self, meta, ch):
        return ("rows", (str(ch[0]), tuple(c for c in ch[1:] if c is not None), self.tspan(ch[0])))

    def expectation(self, meta, ch):
        return A.Expectation(str(ch[0]), ch[1], self.tspan(ch[0]))

    def pins(self, meta, ch):
        return tuple(ch)

    def pin(self, meta, ch):
        return A.Pin(str(ch[0]), ch[1], self.tspan(ch[0]))

    def test_body(self, meta, ch):
        return ("body", tuple(ch), self.span(meta))

    def table_body(self, meta, ch):
        return ("table", ch[0])

    def test_decl(self, meta, ch):
        name, pins, body = ch
        pins = pins or ()
        span = self.span(meta)
        if body[0] == "body":
            record, rows, expects = None, [], []
            for stmt in body[1]:
                if isinstance(stmt, A.Expectation):
                    expects.append(stmt)
                elif stmt[0] == "record":
                    if record is not None:
                        self.sink.error("SEG303", "a test is about one customer: only one `given { ... }` record",
                                        stmt[1].span, help="write a second test, or use a `table` test")
                    record = stmt[1]
                else:
                    rows.append(stmt[1])
            case = A.TestCase(record, tuple(rows), pins, tuple(expects), span)
            return A.Test(_unquote(str(name)), (case,), False, span)
        cases = _table_cases(self, body[1], pins)
        return A.Test(_unquote(str(name)), cases, True, span)

    def start(self, meta, ch):
        return list(ch)


def _plain_callbacks(cls) -> dict:
    """The class's callbacks as plain functions `f(self, meta, children)`, each class attribute
    unwrapped again. `v_args(meta=True)` wraps every method, and Lark then builds a new bound
    wrapper (functools.update_wrapper included) on each attribute access: for every node and
    every `self.span(...)`, a fifth of parsing a large file. The transformer calls these
    directly instead (`_Builder._call_userfunc`); a Lark without these internals keeps its own
    way (an empty table)."""
    try:
        from lark.visitors import _VArgsWrapper, _vargs_meta
    except ImportError:
        return {}
    table = {}
    for name, attr in list(vars(cls).items()):
        if isinstance(attr, _VArgsWrapper):
            if attr.visit_wrapper is not _vargs_meta:
                return {}
            table[name] = attr.base_func
    for name, f in table.items():
        setattr(cls, name, f)
    return table


_CALLBACKS = _plain_callbacks(_Builder)


_CELL_SPLIT = re.compile(r'((?:[^|"]|"(?:[^"\\\n]|\\.)*")*)')
_BEFORE_COMMENT = re.compile(r'(?:[^#"]|"(?:[^"\\\n]|\\.)*")*')


def _split_cells(line: str) -> list[tuple[str, int]]:
    """Cells of a table line with their 0-based column, honouring quotes."""
    cells, pos = [], 0
    while True:
        m = _CELL_SPLIT.match(line, pos)
        raw = m.group(1)
        lead = len(raw) - len(raw.lstrip())
        cells.append((raw.strip(), pos + lead))
        pos = m.end()
        if pos >= len(line) or line[pos] != "|":
            return cells
        pos += 1


def _table_cases(b: _Builder, tok: Token, pins) -> tuple[A.TestCase, ...]:
    lines = str(tok).split("\n")
    header, cases = None, []
    for i, raw in enumerate(lines):
        lineno = tok.line + i
        base_col = tok.column if i == 0 else 1
        end = _BEFORE_COMMENT.match(raw).end()                # a comment starts at a `#` outside strings
        text = raw[:end] if raw[end:end + 1] == "#" else raw
        if not text.strip():
            continue
        cells = _split_cells(text.rstrip())
        if header is None:
            header = []
            for cell, col in cells:
                sp = Span(b.source.path, lineno, base_col + col, lineno, base_col + col + len(cell))
                m = re.fullmatch(r"expect\s+(\S+)", cell)
                if m:
                    header.append(("expect", m.group(1), sp))
                elif re.fullmatch(r"[^\W\d]\w*", cell):
                    header.append(("set", cell, sp))
                else:
                    b.sink.error("SEG006", f"table header cell `{cell}` must be a field or let name, or `expect DIMENSION`",
                                 sp)
                    header.append(("bad", cell, sp))
            continue
        row_span = Span(b.source.path, lineno, base_col, lineno, base_col + len(raw))
        if len(cells) != len(header):
            b.sink.error("SEG006", f"this row has {len(cells)} cells but the header has {len(header)}", row_span,
                         help="every row needs one cell per header column, separated by `|`")
            continue
        record, row_pins, expects = [], list(pins), []
        for (kind, name, hspan), (cell, col) in zip(header, cells):
            value = _parse_cell(b, cell, lineno, base_col + col)
            if value is None:
                continue
            if kind == "expect":
                expects.append(A.Expectation(name, value, value.span))
            elif kind == "set":
                record.append((name, value, value.span))
        cases.append(A.TestCase(A.Record(tuple(record), row_span), (), tuple(row_pins),
                                tuple(expects), row_span))
    if header is None:
        b.sink.error("SEG006", "a table test needs a header row and at least one row", b.tspan(tok))
    return tuple(cases)


def _parse_cell(b: _Builder, cell: str, line: int, col: int) -> A.Expr | None:
    src = Source(b.source.path, cell)
    sp = Span(b.source.path, line, col, line, col + len(cell))
    if not cell:
        b.sink.error("SEG006", "empty table cell", sp, help="write `null` for a missing value")
        return None
    try:
        tree = parser().parse(cell, start="constant")
    except UnexpectedInput:
        b.sink.error("SEG006", f"`{cell}` is not a constant", sp,
                     help="cells hold numbers, percentages, text in quotes, dates, names, null or [lists]")
        return None
    sub = _Builder(src, b.sink, line, col)
    return sub.transform(tree) if isinstance(tree, Tree) else None


def build_module(source: Source) -> tuple[A.Module, list]:
    """Parse one file; returns the module and the (non-syntax) diagnostics found while building."""
    sink = DiagnosticSink()
    tree = parse_tree(source)
    glued = glued_keywords(source, tree)
    if glued:                      # `when客户等级`: the tree reads it as two words, the spec as one name
        raise SegError(glued)
    sink.items.extend(hidden_characters(source, tree))
    items = _Builder(source, sink).transform(tree)
    header = None
    groups: dict[type, list] = {}
    for it in items:
        if isinstance(it, A.Header):
            if header is not None:
                sink.error("SEG117", "a file has one `ruleset` header", it.span)
            header = it
        else:
            groups.setdefault(type(it), []).append(it)
    g = lambda t: tuple(groups.get(t, ()))  # noqa: E731
    module = A.Module(source.path, header, g(A.Import), g(A.Input), g(A.Related), g(A.Param),
                      g(A.Let), g(A.Dimension), g(A.Test))
    deep = too_deep(module)
    if deep:                       # later stages recurse over expressions: stop here, at the expression
        raise SegError(sink.items + deep)
    return module, sink.items
