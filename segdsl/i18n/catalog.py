"""Messages in the user's language: message catalogs (gettext PO files) and the choice of language.

The English text is the message id. Messages are built in English where the
problem is found (checker, engines, command line), with the user's names
and values in them; this module turns a finished message into Chinese at
the edge, when it is shown. A catalog entry is an English template whose
`{placeholders}` stand for those names and values:

    msgid "unknown field `{name}` of input `{input}`"
    msgstr "输入 `{input}` 中没有字段 `{name}`"

`(s)` in a msgid matches an English plural s or nothing (`{n} file(s)
checked`). A placeholder whose name starts with `message` holds messages of
their own, joined by "; " (the reasons a data row is bad): each is
translated in turn. A message matching a template is shown with the Chinese text and the very
same names and values, never translated (rule-file names, labels, file
names and data stay as written). A message no template matches is shown in
English: a code added without its translation still says what is wrong,
and tests/i18n/ names every such message.

The language: `--lang zh|en` (set_language), else the locale
(LC_ALL, LC_MESSAGES, LANG: `zh_CN.UTF-8` and any `zh*` mean Chinese),
else English. The catalogs are PO files read with Babel, the maintained
reader of the gettext format, so translators can use their usual tools.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Mapping

LANGUAGES = ("en", "zh")
_chosen: dict[str, str | None] = {"lang": None}


def from_locale(env: Mapping[str, str] | None = None) -> str:
    """The language the locale asks for: the first of LC_ALL, LC_MESSAGES, LANG that is set."""
    env = os.environ if env is None else env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def set_language(lang: str | None) -> None:
    """Use `lang` from now on (None: follow the locale again)."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(lang)
    _chosen["lang"] = lang


def current() -> str:
    return _chosen["lang"] or from_locale()


@dataclass(frozen=True)
class Template:
    """A catalog entry with placeholders: the English msgid, its translation, and the pattern that
    matches a finished English message and captures the names and values in it."""
    msgid: str
    msgstr: str
    pattern: re.Pattern


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _pattern(msgid: str) -> re.Pattern:
    """The English template as a regular expression: literal text, a named group per placeholder."""
    parts, pos, seen = [], 0, set()

    def literal(text: str) -> str:
        return "s?".join(re.escape(piece) for piece in text.split("(s)"))
    for m in _PLACEHOLDER.finditer(msgid):
        parts.append(literal(msgid[pos:m.start()]))
        name = m.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        pos = m.end()
    parts.append(literal(msgid[pos:]))
    return re.compile("".join(parts), re.S)


@functools.cache
def entries(lang: str) -> dict[str, str]:
    """msgid → msgstr of the catalog of `lang` (an empty msgstr: not translated)."""
    from importlib import resources     # with babel, only where a catalog is read: not on an English run

    from babel.messages.pofile import read_po
    with resources.files("segdsl.i18n").joinpath(f"{lang}.po").open("rb") as fh:
        catalog = read_po(fh)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str)}


@functools.cache
def _templates(lang: str) -> tuple[dict[str, str], tuple[Template, ...]]:
    exact, templates = {}, []
    for msgid, msgstr in entries(lang).items():
        if not msgstr:
            continue
        if _PLACEHOLDER.search(msgid):
            templates.append(Template(msgid, msgstr, _pattern(msgid)))
        else:
            exact[msgid] = msgstr
    # the most specific template first: one that starts with literal text before one that
    # starts with a placeholder (which could swallow any prefix), then the most literal text
    templates.sort(key=lambda t: (t.msgid.startswith("{"), -len(_PLACEHOLDER.sub("", t.msgid))))
    return exact, tuple(templates)


def lookup(text: str, lang: str) -> str | None:
    """`text` in `lang`, or None when the catalog has no entry for it."""
    exact, templates = _templates(lang)
    if text in exact:
        return exact[text]
    for t in templates:
        m = t.pattern.fullmatch(text)
        if m:
            values = {k: _parts(v, lang) if k.startswith("message") else v for k, v in m.groupdict().items()}
            return _PLACEHOLDER.sub(lambda p: values.get(p.group(1), p.group(0)), t.msgstr)
    return None


def _parts(text: str, lang: str) -> str:
    """Messages joined by "; ", each in `lang` where the catalog has it."""
    return "；".join(lookup(part, lang) or part for part in text.split("; "))


def translate(text: str, lang: str | None = None) -> str:
    """`text` in the chosen language; English when the catalog has no entry for it."""
    lang = lang or current()
    if lang == "en" or not text:
        return text
    return lookup(text, lang) or text
