"""Expressions and constants as documents: one method per node of the concrete tree.

Operators get one space on each side, calls, members, negation and
parentheses none; parentheses are kept as written. A chain of `and` or of
`or` breaks before each operator when it does not fit, a `case` before each
`when`, lists and call arguments fill their lines.
"""
from __future__ import annotations

from lark import Token, Tree

from .doc import FRESH, HARD, LINE, Align, Doc, Fill, Group, Nest, Suffix, cat, join
from .trivia import Trivia

CONTINUATION = 2


class Expressions:
    def __init__(self, trivia: Trivia):
        self.trivia = trivia

    # ---- tokens and dispatch ----

    def doc(self, node) -> Doc:
        if isinstance(node, Token):
            return self.tok(node)
        return getattr(self, f"rule_{node.data}", self.spaced)(node)

    def tok(self, t: Token, after: str = "") -> Doc:
        """The token as written, its own-line comments before it, its trailing comment after."""
        return cat(self.leading(t), str(t) + after, self.trailing(t))

    def leading(self, t: Token) -> list[Doc]:
        return [cat(FRESH, c.text, HARD) for c in self.trivia.take_leading(t.start_pos)]

    def trailing(self, t: Token) -> list[Doc]:
        return [Suffix(c.text) for c in self.trivia.take_trailing(t.start_pos)]

    def drop(self, t: Token) -> Doc:
        """A token left out (an optional comma); its comments stay."""
        return cat(self.leading(t), self.trailing(t))

    def spaced(self, t: Tree) -> Doc:
        """Children one space apart: comparisons, arithmetic, between, in, is null, keywords."""
        return cat(join(" ", [self.doc(c) for c in t.children]))

    def tight(self, t: Tree) -> Doc:
        return cat([self.doc(c) for c in t.children])

    def items(self, children: list, sep: str = ",") -> tuple[list[Doc], list[Doc]]:
        """The items between separators, and the separators' comments (kept, the separators rewritten)."""
        items: list[Doc] = []
        extra: list[Doc] = []
        for c in children:
            if isinstance(c, Token) and str(c) == sep:
                if items:
                    items[-1] = cat(items[-1], self.drop(c))
                else:
                    extra.append(self.drop(c))
            else:
                items.append(self.doc(c))
        return items, extra

    def bracketed(self, t: Tree) -> Doc:
        """`[a, b]`, `(args)`: the items fill their lines, aligned after the opening bracket."""
        open_, *inner, close = t.children
        items, extra = self.items(inner)
        return Group(cat(self.tok(open_), Align(cat(Fill(tuple(items), ","), extra)), self.tok(close)))

    # ---- expressions ----

    rule_neg = rule_negative = rule_member = rule_atom = tight

    def rule_list(self, t: Tree) -> Doc:
        return self.bracketed(t)

    rule_const_list = rule_list

    def chain(self, t: Tree) -> Doc:
        """`a and b and c` (or `or`): one group that breaks before each operator."""
        operands: list = []
        node = t
        while isinstance(node, Tree) and node.data == t.data:
            left, op, right = node.children
            operands[:0] = [op, right]
            node = left
        first = self.doc(node)
        rest = [cat(LINE, self.doc(op), " ", self.doc(x)) for op, x in zip(operands[::2], operands[1::2])]
        return Group(cat(first, Nest(CONTINUATION, cat(rest))))

    rule_and_ = rule_or_ = chain

    def rule_call(self, t: Tree) -> Doc:
        name, open_, *inner, close = t.children
        clauses = [c for c in inner if isinstance(c, Tree) and c.data in ("where", "by")]
        args, extra = self.items([c for c in inner if c not in clauses])
        tail = [cat(" ", self.doc(c)) for c in clauses]
        return Group(cat(self.tok(name), self.tok(open_), Align(cat(Fill(tuple(args), ","), extra, tail)),
                         self.tok(close)))

    def rule_by(self, t: Tree) -> Doc:
        by, *inner = t.children
        items, extra = self.items(inner)
        return cat(self.tok(by), " ", join(", ", items), extra)

    def rule_case(self, t: Tree) -> Doc:
        case, *middle, end = t.children
        parts = []
        i = 0
        while i < len(middle):
            c = middle[i]
            if isinstance(c, Token):            # else
                parts.append(cat(LINE, self.tok(c), " ", self.doc(middle[i + 1])))
                i += 2
            else:
                parts.append(cat(LINE, self.doc(c)))
                i += 1
        return Group(cat(self.tok(case), Nest(CONTINUATION, cat(parts)), LINE, self.tok(end)))
