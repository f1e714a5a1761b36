"""Quick fixes: a diagnostic's did-you-mean as an edit the analyst accepts with one key.

The checker words a suggestion in its help (`did you mean `spend`?`, `did
you mean `avg` or `mean`?`, `add a space after `not`: `not 信用``); the
names in it become replacements of the word the diagnostic points at,
carried in the diagnostic's `data` so the fix needs no second analysis.
"""
from __future__ import annotations

import re

from lsprotocol import types as T

from ..diagnostics.values import Diagnostic

_MEANT = re.compile(r"did you mean (.+?)\?")
_SPACE = re.compile(r"add a space after `[^`]+`: `([^`]+)`")
_QUOTED = re.compile(r"`([^`]+)`")


def replacements(d: Diagnostic) -> list[str]:
    """What the word a diagnostic points at might have been meant as, from its help."""
    if not d.help:
        return []
    m = _SPACE.match(d.help)
    if m:
        return [m.group(1)]
    m = _MEANT.match(d.help)
    return _QUOTED.findall(m.group(1)) if m else []


def quick_fixes(uri: str, diagnostics: list[T.Diagnostic]) -> list[T.CodeAction]:
    actions = []
    for d in diagnostics:
        data = d.data if isinstance(d.data, dict) else {}
        for i, name in enumerate(data.get("replacements", [])):
            actions.append(T.CodeAction(
                title=f"Change to `{name}`", kind=T.CodeActionKind.QuickFix, diagnostics=[d], is_preferred=i == 0,
                edit=T.WorkspaceEdit(changes={uri: [T.TextEdit(range=d.range, new_text=name)]})))
    return actions
