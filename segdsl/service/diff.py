"""`segdsl diff`: what changed between two versions of the rules, and who moves.

Without data, the structural diff: params, lets, fields and dimensions added
or removed; segments added, removed or renamed (a segment that disappeared
and one that appeared in the same dimension with the same condition); and
changed conditions, labels, attributes, policies and param defaults.
Conditions are compared by meaning (the IR without source positions, so
layout and comments do not count) and shown as written.

With data, both versions run on the same inputs through an engine (the run
`apply` makes, DuckDB by default) and their rows are joined on the key: per
dimension both versions have, the transition matrix (old segment × new
segment, customers, the first keys of each cell in input order) and how many
customers moved (for an `all` dimension, whose tag set changed).

OLD may be `REV:path`, a file as git holds it at a revision (`git show`).
"""
from __future__ import annotations

import posixpath
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import ir
from ..engines.errors import fail
from ..engines.options import ApplyOptions

SAMPLE = 5          # keys kept per cell of a transition matrix


@dataclass(frozen=True)
class Change:
    """One structural change. `where` names the thing (`value.premium`, `param bill_shock`),
    `what` what changed about it; `old` and `new` are shown as written (None: absent)."""
    kind: str           # added, removed, renamed, changed
    where: str
    what: str           # segment, dimension, param, let, field, condition, label, attributes, default, policy, type, order
    old: str | None = None
    new: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "where": self.where, "what": self.what, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Transition:
    old: Any                    # a segment name, None, or a list of tags (`all`)
    new: Any
    customers: int
    sample: tuple

    def as_dict(self) -> dict:
        return {"from": _plain(self.old), "to": _plain(self.new), "customers": self.customers,
                "sample": list(self.sample)}


@dataclass(frozen=True)
class DimensionMoves:
    name: str
    label: str | None
    policy: str
    customers: int
    moved: int
    transitions: tuple[Transition, ...]     # every non-empty cell, moved ones first, biggest first

    @property
    def share(self) -> float:
        return self.moved / self.customers if self.customers else 0.0

    def as_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "policy": self.policy, "moved": self.moved,
                "share": self.share, "transitions": [t.as_dict() for t in self.transitions]}


@dataclass(frozen=True)
class Diff:
    old: str
    new: str
    changes: tuple[Change, ...]
    customers: int | None = None                    # None: no data given
    only_old: int = 0                               # customers one version segments and the other not
    only_new: int = 0
    dimensions: tuple[DimensionMoves, ...] = ()

    def moved_over(self, percent: float) -> tuple[DimensionMoves, ...]:
        """The dimensions where more than `percent` % of the customers moved."""
        return tuple(d for d in self.dimensions if d.share * 100 > percent)

    def as_dict(self) -> dict:
        out: dict = {"old": self.old, "new": self.new, "changes": [c.as_dict() for c in self.changes]}
        if self.customers is not None:
            out.update({"customers": self.customers, "only_old": self.only_old, "only_new": self.only_new,
                        "dimensions": [d.as_dict() for d in self.dimensions]})
        return out


def _plain(v):
    return list(v) if isinstance(v, tuple) else v


# ---- reading OLD at a git revision -------------------------------------------------

def at_revision(spec: str, folder: Path) -> Path:
    """`REV:path` as git holds it, written into `folder` at its place in the repository,
    with every file it imports (transitively) as git holds them at the same revision: the
    old version is the rules as they were, not the old main file over today's imports.
    A Problem at `old` when git cannot show the main file; an import git does not hold at
    that revision is left out, so loading it reports SEG108 at the import, as for a file."""
    rev, _, path = spec.partition(":")
    if not rev or not path:
        raise fail("bad-revision", "old", spec, "write REV:path, e.g. HEAD~1:rulesets/telco_churn.seg", usage=True)
    where = _repository_path(path)
    text = _git_show(spec, rev, where)
    target = folder / where
    _write_with_imports(folder, rev, where, text, set())
    return target


def _repository_path(path: str) -> str:
    """The path git's `REV:path` means, relative to the repository's top: `./x` and `../x`
    are relative to the current folder, as `git show` reads them."""
    if not path.startswith(("./", "../")):
        return posixpath.normpath(path)
    prefix = subprocess.run(["git", "rev-parse", "--show-prefix"], capture_output=True, text=True, timeout=60)
    return posixpath.normpath(posixpath.join(prefix.stdout.strip(), path))


def _git_show(spec: str | None, rev: str, where: str) -> bytes | None:
    """The bytes of `where` at `rev`; for the main file (`spec` given) a Problem when git
    cannot show it, for an import None."""
    try:
        shown = subprocess.run(["git", "show", f"{rev}:{where}"], capture_output=True, timeout=60)
    except FileNotFoundError:
        raise fail("no-git", "old", spec, "git is not installed, so no revision can be read", usage=True) from None
    except subprocess.TimeoutExpired:
        raise fail("bad-revision", "old", spec, "git show took more than a minute") from None
    if shown.returncode != 0:
        if spec is None:
            return None
        why = shown.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = why[-1].removeprefix("fatal: ") if why else f"git show failed (exit {shown.returncode})"
        raise fail("bad-revision", "old", spec, f"git cannot show it: {detail}", usage=True)
    return shown.stdout


def _write_with_imports(folder: Path, rev: str, where: str, data: bytes, done: set[str]) -> None:
    """`where`'s bytes into `folder`, then each file it imports, read at `rev` by its path
    relative to `where` (imports stay inside the repository: `..` past its top is not read)."""
    from ..syntax.build_ast import build_module
    from ..diagnostics.values import SegError
    from ..source import Source

    done.add(where)
    target = folder / where
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    try:
        module, _ = build_module(Source(where, data.decode("utf-8-sig")))
    except (SegError, UnicodeDecodeError):
        return                      # loading the written file reports what is wrong with it
    for imp in module.imports:
        imported = posixpath.normpath(posixpath.join(posixpath.dirname(where), imp.path))
        if imported in done or imported.startswith("../") or posixpath.isabs(imported):
            continue
        text = _git_show(None, rev, imported)
        if text is not None:
            _write_with_imports(folder, rev, imported, text, done)


def is_revision(spec: str) -> bool:
    """Whether OLD names a git revision's file rather than a file: `REV:path` that is not a file."""
    return ":" in spec and not Path(spec).exists()


def scratch() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="segdsl-diff-")


# ---- the structural diff -----------------------------------------------------------

def structural(old: ir.Ruleset, new: ir.Ruleset) -> tuple[Change, ...]:
    texts = _Texts(old, new)
    out: list[Change] = []
    out += _named_things("param", old.params, new.params, lambda a, b: _param(a, b))
    out += _named_things("let", _lets(old), _lets(new), lambda a, b: _let(a, b, texts))
    out += _named_things("field", _fields(old), _fields(new), lambda a, b: _field(a, b))
    out += _named_things("dimension", old.dimensions, new.dimensions, lambda a, b: _dimension(a, b, texts))
    return tuple(out)


def _lets(rs: ir.Ruleset) -> list[ir.Let]:
    return [d for d in rs.definitions if isinstance(d, ir.Let)]


def _fields(rs: ir.Ruleset) -> list[ir.FieldSchema]:
    return [f for i in ([rs.customer] if rs.customer else []) + list(rs.related) for f in i.fields]


def _named_things(what: str, old, new, compare) -> list[Change]:
    olds, news = {x.name: x for x in old}, {x.name: x for x in new}
    out = [Change("removed", f"{what} {n}", what) for n in olds if n not in news]
    out += [Change("added", f"{what} {n}", what) for n in news if n not in olds]
    for n in olds:
        if n in news:
            out += compare(olds[n], news[n])
    return out


def _param(a: ir.ParamDecl, b: ir.ParamDecl) -> list[Change]:
    where = f"param {a.name}"
    out = []
    if a.type.kind != b.type.kind:
        out.append(Change("changed", where, "type", a.type.kind.value, b.type.kind.value))
    if (a.has_default, a.default) != (b.has_default, b.default):
        out.append(Change("changed", where, "default", _shown(a.default, a.has_default),
                          _shown(b.default, b.has_default)))
    out += _label(where, a.label, b.label)
    return out


def _let(a: ir.Let, b: ir.Let, texts: "_Texts") -> list[Change]:
    where = f"let {a.name}"
    out = []
    if ir.shape(a.expr) != ir.shape(b.expr):
        out.append(Change("changed", where, "expression", texts.old(a.expr.span), texts.new(b.expr.span)))
    return out + _label(where, a.label, b.label)


def _field(a: ir.FieldSchema, b: ir.FieldSchema) -> list[Change]:
    where = f"field {a.name}"
    out = []
    if (a.type.kind, a.type.nullable) != (b.type.kind, b.type.nullable):
        out.append(Change("changed", where, "type", _type(a), _type(b)))
    if a.column != b.column:
        out.append(Change("changed", where, "column", a.column, b.column))
    if (a.low, a.high) != (b.low, b.high):
        out.append(Change("changed", where, "range", f"{a.low}..{a.high}", f"{b.low}..{b.high}"))
    if (a.has_default, a.default) != (b.has_default, b.default):
        out.append(Change("changed", where, "default", _shown(a.default, a.has_default),
                          _shown(b.default, b.has_default)))
    return out + _label(where, a.label, b.label)


def _dimension(a: ir.Dimension, b: ir.Dimension, texts: "_Texts") -> list[Change]:
    where = f"dimension {a.name}"
    out = []
    if a.policy != b.policy:
        out.append(Change("changed", where, "policy", a.policy, b.policy))
    out += _label(where, a.label, b.label)
    olds = {s.name: s for s in a.all_segments()}
    news = {s.name: s for s in b.all_segments()}
    gone = [s for n, s in olds.items() if n not in news]
    came = [s for n, s in news.items() if n not in olds]
    for s in list(gone):
        twin = next((t for t in came if _same_rule(s, t)), None)
        if twin is not None:
            out.append(Change("renamed", f"{a.name}.{s.name}", "segment", s.name, twin.name))
            out += _segment(a.name, s, twin, texts, renamed=True)
            gone.remove(s)
            came.remove(twin)
    out += [Change("removed", f"{a.name}.{s.name}", "segment", texts.old(s.condition.span) if s.condition else
                   "otherwise", None) for s in gone]
    out += [Change("added", f"{b.name}.{s.name}", "segment", None,
                   texts.new(s.condition.span) if s.condition else "otherwise") for s in came]
    for n, s in olds.items():
        if n in news:
            out += _segment(a.name, s, news[n], texts)
    kept_old = [s.name for s in a.segments if s.name in news]
    kept_new = [s.name for s in b.segments if s.name in olds]
    if kept_old != kept_new:
        out.append(Change("changed", where, "order", ", ".join(kept_old), ", ".join(kept_new)))
    return out


def _same_rule(a: ir.Segment, b: ir.Segment) -> bool:
    if a.is_otherwise or b.is_otherwise:
        return a.is_otherwise and b.is_otherwise
    return ir.shape(a.condition) == ir.shape(b.condition)


def _segment(dim: str, a: ir.Segment, b: ir.Segment, texts: "_Texts", renamed: bool = False) -> list[Change]:
    where = f"{dim}.{b.name}"
    out = []
    if not renamed and not a.is_otherwise and not b.is_otherwise and ir.shape(a.condition) != ir.shape(b.condition):
        out.append(Change("changed", where, "condition", texts.old(a.condition.span), texts.new(b.condition.span)))
    elif a.is_otherwise != b.is_otherwise:
        out.append(Change("changed", where, "condition",
                          "otherwise" if a.is_otherwise else texts.old(a.condition.span),
                          "otherwise" if b.is_otherwise else texts.new(b.condition.span)))
    out += _label(where, a.label, b.label)
    if a.attributes != b.attributes:
        out.append(Change("changed", where, "attributes", _attributes(a), _attributes(b)))
    return out


def _label(where: str, a: str | None, b: str | None) -> list[Change]:
    return [Change("changed", where, "label", a, b)] if a != b else []


def _attributes(s: ir.Segment) -> str:
    return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in s.attributes) + "}"


def _type(f: ir.FieldSchema) -> str:
    return f.type.kind.value + ("?" if f.type.nullable else "")


def _shown(v: Any, present: bool = True) -> str | None:
    if not present:
        return None
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return repr(v)


class _Texts:
    """Source text of spans in either version, lines joined by single spaces."""

    def __init__(self, old: ir.Ruleset, new: ir.Ruleset):
        self.olds = {p: t.splitlines() for p, t in old.sources.items()}
        self.news = {p: t.splitlines() for p, t in new.sources.items()}

    def old(self, span) -> str:
        return _text(self.olds, span)

    def new(self, span) -> str:
        return _text(self.news, span)


def _text(texts: dict, span) -> str:
    lines = texts.get(span.path)
    if not lines or span.line < 1:
        return ""
    if span.line == span.end_line:
        return lines[span.line - 1][span.col - 1:span.end_col - 1]
    parts = [lines[span.line - 1][span.col - 1:], *lines[span.line:span.end_line - 1],
             lines[span.end_line - 1][:span.end_col - 1]]
    return " ".join(" ".join(p.split()) for p in parts if p.strip())


# ---- who moves -----------------------------------------------------------------------

def params_for(rs: ir.Ruleset, other: ir.Ruleset, given: dict[str, str]) -> dict:
    """`--param` values for one version: those it declares (a param only the other version
    has is for that one); a name neither version has is a Problem."""
    from .params import resolve_params
    for name in given:
        if rs.param(name) is None and other.param(name) is None:
            resolve_params(rs, {name: given[name]})         # the Problem, with its did-you-mean
    return resolve_params(rs, {n: v for n, v in given.items() if rs.param(n) is not None})


def diff(old: ir.Ruleset, new: ir.Ruleset, old_name: str, new_name: str, engine: str | None = None,
         old_options: ApplyOptions | None = None, new_options: ApplyOptions | None = None) -> Diff:
    """The structural diff, and with options (the same inputs, each version's params) the
    moves between the two versions' segments, both run on `engine`."""
    changes = structural(old, new)
    if old_options is None or new_options is None or engine is None:
        return Diff(old_name, new_name, changes)
    from . import app
    if old.key != new.key:
        raise fail("different-keys", "input", None, f"the versions key their customers differently "
                   f"({old.key} and {new.key}): their rows cannot be joined")
    old_table, _ = app.apply_tables(old, engine, {}, old_options)
    new_table, _ = app.apply_tables(new, engine, {}, new_options)
    key = new.key
    olds = _rows(old_table, key, old)
    news = _rows(new_table, key, new)
    both = [k for k in news if k in olds]
    dims = tuple(_moves(d, olds, news, both) for d in new.dimensions if old.dimension(d.name) is not None)
    return Diff(old_name, new_name, changes, len(both), sum(k not in news for k in olds),
                sum(k not in olds for k in news), dims)


def _rows(table, key: str, rs: ir.Ruleset) -> dict:
    keys = table.column(key).to_pylist()
    columns = {d.name: table.column(d.name).to_pylist() for d in rs.dimensions}
    return {k: {n: (tuple(v[i]) if isinstance(v[i], list) else v[i]) for n, v in columns.items()}
            for i, k in enumerate(keys)}


def _moves(d: ir.Dimension, olds: dict, news: dict, keys: list) -> DimensionMoves:
    cells: Counter = Counter()
    samples: dict = {}
    moved = 0
    for k in keys:
        a, b = olds[k][d.name], news[k][d.name]
        if isinstance(a, tuple) or isinstance(b, tuple):
            a, b = tuple(a or ()), tuple(b or ())
            changed = set(a) != set(b)
        else:
            changed = a != b
        moved += changed
        cells[a, b] += 1
        kept = samples.setdefault((a, b), [])
        if len(kept) < SAMPLE:
            kept.append(k)
    order = sorted(cells, key=lambda ab: (not _differs(*ab), -cells[ab]))
    transitions = tuple(Transition(a, b, cells[a, b], tuple(samples[a, b])) for a, b in order)
    return DimensionMoves(d.name, d.label, d.policy, len(keys), moved, transitions)


def _differs(a, b) -> bool:
    return set(a) != set(b) if isinstance(a, tuple) else a != b
