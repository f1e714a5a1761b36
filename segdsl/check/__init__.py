"""The check stage: AST → typed IR, with every diagnostic found on the way.

`frontend.check_file` runs syntax, check and the analyses for one file and
its imports; `modules.check_modules` runs the checker's stages in order:
schema.py (inputs, fields, params) → definitions.py (lets, dimensions) with
expressions.py, names.py, calls.py and scalars.py typing each expression →
ordering.py → tests.py (lowering `test` blocks). context.py holds what the
stages share.
"""
