"""What may be typed at the cursor, read from the text before it on its line.

* after `orders.`: the fields of the related input `orders`;
* where a value is compared with an enum field or param (`network = `,
  `plan in [prepaid, `, a test's `plan: `): that enum's members;
* where one is compared with a dimension (`status = `, `value in [`,
  `expect value = `): that dimension's segments;
* anywhere else: keywords, fields, lets, params, dimensions, related inputs
  and functions (with their signatures).

The names come from the last version of the file that parsed, so the
analyst gets them while the line being typed is still incomplete.
"""
from __future__ import annotations

import re

from lsprotocol import types as T

from ..builtins import AGGREGATES, ALL_FUNCTIONS, BUILTINS, POPULATION, SCALARS
from ..syntax.keywords import KEYWORDS
from .analysis import Analysis
from .describe import detail

_WORD = r"[^\W\d]\w*"
_MEMBER = re.compile(rf"({_WORD})\.(\w*)$")
_COMPARED = re.compile(rf"({_WORD})\s*(?:=|!=|:)\s*(\w*)$")
_IN_LIST = re.compile(rf"({_WORD})\s+(?:not\s+)?in\s*\[[^\]]*?(\w*)$")
_EXPECT = re.compile(rf"expect\s+({_WORD})\s*=\s*\[?[^\]]*?(\w*)$")

_KINDS = {"field": T.CompletionItemKind.Field, "row": T.CompletionItemKind.Field,
          "let": T.CompletionItemKind.Variable, "param": T.CompletionItemKind.Constant,
          "dimension": T.CompletionItemKind.Class, "related": T.CompletionItemKind.Module,
          "segment": T.CompletionItemKind.EnumMember, "member": T.CompletionItemKind.EnumMember}

_AGGREGATE_DOC = "over a customer's related rows: `f(orders.x [where condition])`"
_POPULATION_DOC = "over all customers: `f(x [, desc] [by group, ...])`"


def complete(a: Analysis, prefix: str) -> list[T.CompletionItem]:
    """`prefix`: the text of the cursor's line before the cursor."""
    ix = a.index
    if ix is None:
        return []
    m = _MEMBER.search(prefix)
    if m:
        return [_item(a, d) for k, d in ix.definitions.items() if k[0] == "row" and k[1] == m.group(1)]
    for pattern in (_EXPECT, _IN_LIST, _COMPARED):
        m = pattern.search(prefix)
        if m and (m.group(1) in ix.segments or m.group(1) in ix.members):
            return values_of(a, m.group(1))
    return everything(a)


def values_of(a: Analysis, owner: str) -> list[T.CompletionItem]:
    """The segments of a dimension or the members of an enum field or param."""
    ix = a.index
    if owner in ix.segments:
        return [_item(a, ix.definitions[("segment", owner, s)]) for s in ix.segments[owner]]
    labels = _member_labels(a, owner)
    return [T.CompletionItem(label=m, kind=T.CompletionItemKind.EnumMember, detail=f"member of `{owner}`",
                             documentation=labels.get(m)) for m in ix.members[owner]]


def _member_labels(a: Analysis, owner: str) -> dict[str, str]:
    d = a.index.definitions.get(("name", owner))
    members = d.node.type.members if d is not None else ()
    return {m.name: m.label for m in members if m.label}


def everything(a: Analysis) -> list[T.CompletionItem]:
    names = [_item(a, d) for k, d in a.index.definitions.items() if k[0] == "name"]
    keywords = [T.CompletionItem(label=k, kind=T.CompletionItemKind.Keyword) for k in sorted(KEYWORDS)]
    return names + functions() + keywords


def functions() -> list[T.CompletionItem]:
    out = []
    for name in ALL_FUNCTIONS:
        sig, doc = signature(name)
        out.append(T.CompletionItem(label=name, kind=T.CompletionItemKind.Function, detail=sig, documentation=doc,
                                    insert_text=f"{name}($1)", insert_text_format=T.InsertTextFormat.Snippet))
    return out


def signature(name: str) -> tuple[str, str | None]:
    """`days_between(a date, a date)` from the built-ins' table; aggregates and population
    functions by their families."""
    b = BUILTINS.get(name) if name in SCALARS else None
    if b is not None:
        if b.needs:
            args = ", ".join(n.what for n in b.needs)
        else:
            args = ", ".join(f"value{i + 1}" for i in range(min(b.min_args, 2))) + (", …" if b.max_args > 2 else "")
        return f"{name}({args})", None
    docs = [doc for family, doc in ((AGGREGATES, _AGGREGATE_DOC), (POPULATION, _POPULATION_DOC)) if name in family]
    return f"{name}(…)", " or ".join(docs) or None


def _item(a: Analysis, d) -> T.CompletionItem:
    label = getattr(d.node, "label", None)
    return T.CompletionItem(label=d.name, kind=_KINDS.get(d.kind, T.CompletionItemKind.Text),
                            detail=detail(a, d), documentation=label)
