"""The syntax stage: rule-file text → a frozen AST.

The Lark grammar (`segdsl.lark`) and its one cached parser (`parse`),
analyst-worded syntax errors (`errors`), the AST (`ast`, `build_ast`) and a
file with its imports (`loader`). Spans come from `segdsl/source.py`, which
every later stage shares. Nothing here knows about types: that is the
`check` stage's job.
"""
