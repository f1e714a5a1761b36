"""`segdsl init`: a new ruleset folder from one of the domain templates.

The templates are the domain library itself: `segdsl/templates/DOMAIN` is a
link to `rulesets/DOMAIN` (package data; a wheel holds the files), so a
scaffold starts from a model that is tested, passes `check --strict` and has
its README, and the library and `init` never differ. Each template
folder holds a `template.toml` saying which file is the main one, which
input the sample data feeds and where that data comes from: the shipped
samples (`segdsl/samples/`, real public data) or the template folder.

Nothing is ever overwritten: every target path is checked before the first
file is written, and a copy that fails half-way removes what it wrote.
Problems are values (engines/errors.Problem), worded by the caller.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from ..diagnostics.suggest import closest
from ..engines.errors import fail

MANIFEST = "template.toml"


@dataclass(frozen=True)
class Template:
    domain: str                 # the folder name: what `segdsl init DOMAIN` takes
    summary: str
    summary_zh: str
    main: str                   # the rule file to apply
    rules: tuple[str, ...]      # the rule files to check and test, main last
    input: str                  # the input the sample data feeds
    data: str                   # the sample data's file name in the new folder
    data_from: str              # "samples" (segdsl/samples/) or "template" (the folder itself)


@dataclass(frozen=True)
class Scaffold:
    template: Template
    directory: Path
    files: tuple[Path, ...]     # every file written, in the new folder


def _root() -> Traversable:
    return resources.files("segdsl").joinpath("templates")


def _read(folder: Traversable) -> Template:
    m = tomllib.loads(folder.joinpath(MANIFEST).read_text(encoding="utf-8"))
    return Template(domain=folder.name, summary=m["summary"], summary_zh=m["summary_zh"], main=m["main"],
                    rules=tuple(m["rules"]), input=m["input"], data=m["data"], data_from=m["data_from"])


def templates() -> tuple[Template, ...]:
    """Every domain template, by name."""
    folders = [f for f in _root().iterdir() if f.is_dir() and f.joinpath(MANIFEST).is_file()]
    return tuple(_read(f) for f in sorted(folders, key=lambda f: f.name))


def find(domain: str) -> Template:
    """The template called `domain`, or a usage Problem naming the likeliest one."""
    known = {t.domain: t for t in templates()}
    if domain in known:
        return known[domain]
    guess = closest(domain, known)
    hint = f"; did you mean `{guess}`?" if guess else ""
    raise fail("unknown-domain", "domain", domain,
               f"no such template (the templates: {', '.join(known)}){hint}", usage=True)


def _sources(t: Template) -> list[tuple[str, Traversable]]:
    """(name in the new folder, where it comes from) for every file of the template."""
    folder = _root().joinpath(t.domain)
    out: list[tuple[str, Traversable]] = []

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            name = prefix + child.name
            if child.is_dir():
                if child.name != "__pycache__":
                    walk(child, name + "/")
            elif name != MANIFEST:
                out.append((name, child))
    walk(folder, "")
    if t.data_from == "samples":
        out.append((t.data, resources.files("segdsl").joinpath("samples", t.data)))
    return out


def scaffold(domain: str, directory: Path) -> Scaffold:
    """Copy template `domain` into `directory` (created if missing); refuse, writing nothing,
    if any file it would write is already there."""
    t = find(domain)
    if directory.exists() and not directory.is_dir():
        raise fail("not-a-folder", "directory", str(directory), "is a file, not a folder", usage=True)
    sources = _sources(t)
    taken = [name for name, _ in sources if (directory / name).exists() or (directory / name).is_symlink()]
    if taken:
        raise fail("would-overwrite", "directory", str(directory),
                   f"already holds {', '.join(taken)}; nothing was written (choose an empty folder)",
                   usage=True)
    written: list[Path] = []
    made: list[Path] = []
    try:
        for name, source in sources:
            target = directory / name
            for parent in reversed(target.parents):
                if not parent.exists():
                    parent.mkdir()
                    made.append(parent)
            with target.open("xb") as fh:       # "x": never replaces a file that appeared meanwhile
                written.append(target)
                fh.write(source.read_bytes())
    except OSError as exc:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise fail("cannot-write", "directory", str(directory),
                   f"{exc.strerror or exc}; nothing was written") from None
    return Scaffold(t, directory, tuple(written))
