"""The import graph: dependencies point one way down the pipeline.

Every module of segdsl belongs to a layer, in this order:

    source, types, collector, caching, i18n, pickling → diagnostics → syntax → fmt → ir → runtime → builtins → passes →
    analysis → check → io → backends → engines → service → api, cli, lsp

A module may import its own layer and the layers before it, never one
after it (the type checker uses the compiler's one dependency walk in
passes/ and runs the lints of analysis/, so those come before it). Packages
have no import cycle between them, no module imports another module's
private (underscored) names, and no module imports an engine (a module with
an `ENGINE` object): engines are reached through engines/registry.py only.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "segdsl"
LAYERS = [
    {"source", "types", "collector", "caching", "i18n", "pickling"}, {"diagnostics"}, {"syntax"}, {"fmt"}, {"ir"}, {"runtime"}, {"builtins"}, {"passes"},
    {"analysis"}, {"check"}, {"io"}, {"backends"}, {"engines"}, {"service"}, {"api", "cli", "cli_plain", "cli_values", "lsp"},
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names imported from it) for every import of segdsl code."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "segdsl" or target.startswith("segdsl."):
                found.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("segdsl.")]
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


ALL = modules()
EDGES = [(name, target, names) for name, path in ALL.items() for target, names in imports(name, path)]


def test_every_module_has_a_layer():
    missing = sorted({layer(m) for m in ALL if m != "segdsl"} - set(RANK))
    assert not missing, f"modules outside every layer (add them to LAYERS): {missing}"


@pytest.mark.parametrize("name", sorted(m for m in ALL if m != "segdsl"))
def test_no_module_imports_a_later_layer(name):
    own = RANK[layer(name)]
    for module, target, names in EDGES:
        if module != name:
            continue
        targets = [target] if target != "segdsl" else [f"segdsl.{n}" for n in names]
        for t in targets:
            if layer(t) in RANK:
                assert RANK[layer(t)] <= own, f"{name} imports {t}, a later layer"


def test_packages_import_each_other_without_a_cycle():
    graph: dict[str, set[str]] = {}
    for module, target, names in EDGES:
        targets = [target] if target != "segdsl" else [f"segdsl.{n}" for n in names]
        for t in targets:
            a, b = layer(module), layer(t)
            if a and b and a != b:
                graph.setdefault(a, set()).add(b)
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", "import cycle: " + " → ".join(path[path.index(node):] + [node])
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, path + [node])
        state[node] = "done"

    for node in sorted(graph):
        visit(node, [])


def test_no_module_imports_another_modules_private_names():
    private = [(module, target, n) for module, target, names in EDGES for n in names
               if n.startswith("_") and not n.startswith("__")]
    assert not private, f"private names imported across modules: {private}"


def _defines_engine(path: Path) -> bool:
    return any(isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ENGINE" for t in node.targets)
               for node in ast.parse(path.read_text(encoding="utf-8")).body)


ENGINES = {name for name, path in ALL.items() if _defines_engine(path)}


def test_engines_are_found():
    assert {"segdsl.engines.duckdb", "segdsl.engines.python", "segdsl.engines.spark"} <= ENGINES


def test_no_module_imports_an_engine():
    reached = [(module, target) for module, target, names in EDGES
               for t in ([target] if target != "segdsl.engines" else [f"segdsl.engines.{n}" for n in names])
               if t in ENGINES and t != module]
    assert not reached, f"engines imported directly instead of through the registry: {reached}"
