"""The index of names over every shipped rule file: each use points at a definition, and
every name can be described (hover) and completed without an error."""
from __future__ import annotations

from pathlib import Path

import pytest

from segdsl.lsp.analysis import analyse
from segdsl.lsp.completion import everything
from segdsl.lsp.describe import hover
from segdsl.lsp.symbols import outline

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "rulesets").rglob("*.seg")) + sorted((ROOT / "tests" / "fixtures" / "examples").glob("*.seg"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_name_of_a_shipped_file_is_indexed_and_described(path):
    a = analyse(str(path), path.read_text(encoding="utf-8"))
    ix = a.index
    assert a.result.ok and ix is not None
    assert {key for _, key in ix.occurrences} <= set(ix.definitions)
    for d in ix.definitions.values():
        assert hover(a, d).startswith(f"**{d.name}** — ")
        assert ix.at(d.span.line, d.span.col) == d.key
    uses = [key for span, key in ix.occurrences if span != ix.definitions[key].span]
    module = a.module
    assert len(uses) >= len(module.dimensions)          # conditions and tests read names
    assert {s.name for s in outline(a)} >= {d.name for d in module.dimensions}
    assert everything(a)
