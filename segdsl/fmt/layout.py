"""Declarations, dimensions and tests as documents: the canonical layout of a rule file.

Blocks indent by two; the names of the fields of an input line up their
types, and inside a dimension the segment names, their labels and their
`when` clauses line up. A segment whose condition does not fit on its line
puts `when` on the next one; attributes always take a line of their own.
Optional commas between fields, members, record fields and attributes are
written where items share a line and left out where each has its own.
Comments are kept on the token they were attached to (trivia.py); blank
lines between declarations are kept, one at most.
"""
from __future__ import annotations

from lark import Token, Tree

from .doc import FRESH, HARD, LINE, Align, Doc, Fill, Group, Nest, Suffix, cat, display_width, join
from .expressions import Expressions
from .tables import table_lines
from .trivia import END, tokens

BLOCK = 2
SEGMENT_CONTINUATION = 4


def first_token(node) -> Token:
    return node if isinstance(node, Token) else first_token(node.children[0])


def has(t: Tree, rule: str) -> Tree | None:
    return next((c for c in t.children if isinstance(c, Tree) and c.data == rule), None)


class Layout(Expressions):
    # ---- items and blocks ----

    def item_lead(self, node) -> list[Doc]:
        """An item's own-line comments, and the blank lines before them and before the item."""
        t = first_token(node)
        out: list[Doc] = []
        for c in self.trivia.take_leading(t.start_pos):
            out += [HARD] if c.blank_before else []
            out += [FRESH, c.text, HARD]
        if t.start_pos in self.trivia.blank_before:
            out.append(HARD)
        return out

    def lines(self, nodes, render=None) -> list[Doc]:
        """Items one a line, each after its leading comments."""
        render = render or self.doc
        return [cat(HARD, self.item_lead(n), render(n)) for n in nodes]

    def block(self, open_: Token, body: list[Doc], close: Token) -> Doc:
        """`{` items `}`, the items indented; `{}` when empty."""
        tail = [cat(HARD, [HARD] if c.blank_before else [], c.text)
                for c in self.trivia.take_leading(close.start_pos)]
        if not body and not tail:
            return cat(self.tok(open_), self.tok(close))
        return cat(self.tok(open_), Nest(BLOCK, cat(body, tail)), HARD, self.tok(close))

    def rule_start(self, t: Tree) -> Doc:
        end = [cat(HARD, [HARD] if c.blank_before else [], c.text) for c in self.trivia.take_leading(END)]
        return cat(self.lines(t.children), end)

    # ---- declarations ----

    def rule_input_decl(self, t: Tree) -> Doc:
        *head, open_, fields = _split_block(t)
        return cat(join(" ", [self.doc(c) for c in head]), " ", self.fields(open_, fields))

    rule_related_decl = rule_input_decl

    def fields(self, open_: Token, children: list) -> Doc:
        fields = [c for c in children if isinstance(c, Tree)]
        pad = max((display_width(str(f.children[0])) for f in fields), default=0)
        body = self.lines(fields, lambda f: self.field(f, pad))
        return self.block(open_, body, children[-1])

    def field(self, t: Tree, pad: int) -> Doc:
        name, colon, type_, *mods = t.children
        parts = [self.tok(name), self.tok(colon, " " * (pad - display_width(str(name)) + 1)), self.doc(type_)]
        for m in mods:
            if isinstance(m, Token) and m.type == "NULLABLE":
                parts.append(self.tok(m))
            elif isinstance(m, Token) and str(m) == ",":
                parts.append(self.drop(m))
            else:
                parts += [" ", self.doc(m)]
        return cat(parts)

    def rule_enum_type(self, t: Tree) -> Doc:
        enum, open_, *members, close = t.children
        if not members:
            return cat(self.tok(enum), " ", self.tok(open_), self.tok(close))
        items, extra = self.items(members)
        return Group(cat(self.tok(enum), " ", self.tok(open_), " ", Align(cat(Fill(tuple(items), ","), extra)),
                         " ", self.tok(close)))

    def rule_enum_member(self, t: Tree) -> Doc:
        parts = [c for c in t.children if not (isinstance(c, Token) and str(c) == ",")]
        comma = [self.drop(c) for c in t.children if isinstance(c, Token) and str(c) == ","]
        return cat(join(" ", [self.doc(c) for c in parts]), comma)

    def rule_range(self, t: Tree) -> Doc:
        in_, low, dots, high = t.children
        return cat(self.tok(in_), " ", self.doc(low), self.tok(dots), self.doc(high))

    def rule_param_decl(self, t: Tree) -> Doc:
        param, name, colon, *rest = t.children
        return cat(self.tok(param), " ", self.tok(name), self.tok(colon), " ",
                   join(" ", [self.doc(c) for c in rest]))

    def rule_let_decl(self, t: Tree) -> Doc:
        *head, expr = t.children
        return cat(join(" ", [self.doc(c) for c in head]), " ", Nest(BLOCK, self.doc(expr)))

    # ---- dimensions ----

    def rule_dimension(self, t: Tree) -> Doc:
        *head, open_, inner = _split_block(t)
        segments = [c for c in inner if isinstance(c, Tree) and c.data == "segment"]
        names = max((display_width(str(s.children[1])) for s in segments), default=0)
        labels = [display_width(str(lab.children[0])) for s in segments if (lab := has(s, "label"))]
        label_pad = max(labels, default=0)

        def one(s: Tree) -> Doc:
            return self.segment(s, names, label_pad if labels else None) if s.data == "segment" else self.doc(s)
        body = self.lines([c for c in inner if isinstance(c, Tree)], one)
        return cat(join(" ", [self.doc(c) for c in head]), " ", self.block(open_, body, inner[-1]))

    def segment(self, t: Tree, name_pad: int, label_pad: int | None) -> Doc:
        kw, name, *rest = t.children
        label = rest.pop(0) if isinstance(rest[0], Tree) and rest[0].data == "label" else None
        when, cond, *attrs = rest
        head = [self.tok(kw), " ", self.tok(name, " " * (name_pad - display_width(str(name))))]
        if label_pad is not None:
            width = display_width(str(label.children[0])) if label is not None else 0
            head += [" ", self.doc(label) if label is not None else "", " " * (label_pad - width)]
        head += [Suffix(c.text) for c in self.on_line(t, kw.line)]
        clause = Nest(SEGMENT_CONTINUATION, cat(LINE, self.tok(when), " ", self.doc(cond)))
        return cat(Group(cat(head, clause)), self.attributes(attrs))

    def on_line(self, t: Tree, line: int) -> list:
        """The trailing comments on the line a segment starts on: they stay on the `segment`
        line when its `when` moves to the next one (`# segdsl: ignore[SEG404]` is read there)."""
        return [c for tok in tokens(t) if tok.line == line for c in self.trivia.take_trailing(tok.start_pos)]

    def rule_otherwise(self, t: Tree) -> Doc:
        attrs = [c for c in t.children if isinstance(c, Tree) and c.data == "attrs"]
        head = [c for c in t.children if c not in attrs]
        return cat(join(" ", [self.doc(c) for c in head]), self.attributes(attrs))

    def attributes(self, attrs: list) -> Doc:
        return cat([Nest(SEGMENT_CONTINUATION, cat(HARD, self.doc(a))) for a in attrs])

    def rule_attrs(self, t: Tree) -> Doc:
        open_, *inner, close = t.children
        if not inner:
            return cat(self.tok(open_), self.tok(close))
        items = [self.doc(a) for a in inner]
        return Group(cat(self.tok(open_), Nest(BLOCK, cat(LINE, join(cat(",", LINE), items))), LINE,
                         self.tok(close)))

    def rule_attr(self, t: Tree) -> Doc:
        key, colon, value, *comma = t.children
        return cat(self.tok(key), self.tok(colon), " ", self.doc(value), [self.drop(c) for c in comma])

    # ---- tests ----

    def rule_test_body(self, t: Tree) -> Doc:
        open_, *stmts, close = t.children
        return self.block(open_, self.lines(stmts), close)

    def rule_table_body(self, t: Tree) -> Doc:
        table, open_, text, close = t.children
        above = [cat(HARD, c.text) for c in self.trivia.take_leading(text.start_pos)]   # read before the rows
        rows = [cat(HARD, line) for line in table_lines(str(text))]
        return cat(self.tok(table), " ", self.tok(open_), Nest(BLOCK, cat(above, rows, self.trailing(text))), HARD,
                   self.tok(close))

    def rule_pins(self, t: Tree) -> Doc:
        with_, *inner = t.children
        items, extra = self.items(inner)
        return cat(self.tok(with_), " ", extra, join(", ", items))

    def rule_pin(self, t: Tree) -> Doc:
        return self.spaced(t)

    def rule_record(self, t: Tree) -> Doc:
        open_, *inner, close = t.children
        if not inner:
            return cat(self.tok(open_), self.tok(close))
        items, extra = self.items(inner)
        return Group(cat(self.tok(open_), " ", Align(cat(Fill(tuple(items), ","), extra)), " ", self.tok(close)))

    def rule_rec_field(self, t: Tree) -> Doc:
        name, colon, value = t.children
        return cat(self.tok(name), self.tok(colon), " ", self.doc(value))

    def rule_given_rows(self, t: Tree) -> Doc:
        given, name, open_, *inner, close = t.children
        head = cat(self.tok(given), " ", self.tok(name), " ", self.tok(open_))
        body: list[Doc] = []
        for c in inner:
            if isinstance(c, Tree):
                body.append(cat(HARD, self.item_lead(c), self.doc(c)))
            else:                                   # an optional comma: its comments stay with the record
                body.append(self.drop(c))
        if not any(isinstance(c, Tree) for c in inner):
            return cat(head, body, self.tok(close))
        return cat(head, Nest(BLOCK, cat(body)), HARD, self.tok(close))


def _split_block(t: Tree) -> list:
    """The children before `{`, the `{` token, and the children after it (`}` last)."""
    i = next(i for i, c in enumerate(t.children) if isinstance(c, Token) and str(c) == "{")
    return [*t.children[:i], t.children[i], t.children[i + 1:]]
