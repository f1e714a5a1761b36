"""`segdsl lsp`: the language server editors start (server.py, on pygls).

Every open document is analysed as `segdsl check` would (analysis.py) and
its names indexed (index.py); the features are small modules over that:
diagnostics, completion, describe (hover), navigation (definition,
references, rename), symbols; formatting is `segdsl fmt`.
"""
