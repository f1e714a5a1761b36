"""What the checker saw used, for the lints that need more than the IR shows."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..source import Span

if TYPE_CHECKING:       # the syntax tree's forty classes, only named here: a warm `check` builds none
    from ..syntax import ast as A


@dataclass(frozen=True, slots=True)
class Imported:
    """One `import` line and what the file it names gives the importer."""
    path: str                              # as written
    span: Span                             # the import line
    names: frozenset[str]                  # the lets and params the file declares
    gives_more: bool                       # it declares dimensions or inputs, or imports further files


def imports_of(modules: list[A.Module]) -> tuple[Imported, ...]:
    """Every import line of the files read (the loader names a file by its importer's folder)."""
    by_path = {m.path: m for m in modules}
    out = []
    for m in modules:
        for imp in m.imports:
            target = by_path.get(str(Path(m.path).parent / imp.path))
            if target is None:
                continue
            names = frozenset([x.name for x in target.lets] + [x.name for x in target.params])
            more = bool(target.dimensions or target.inputs or target.related or target.imports)
            out.append(Imported(imp.path, imp.span, names, more))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Uses:
    """What the lints need that the IR does not show: a let over related rows is inlined where
    it is aggregated, so it has no definition in the IR and no reference to it remains."""
    lets: tuple[tuple[str, Span], ...]     # every let declared, in declaration order
    names: frozenset[str]                  # every field, param, let and dimension read, or pinned by a test
    imports: tuple[Imported, ...] = ()
