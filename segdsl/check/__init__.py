"""The check stage: AST → typed IR, with every diagnostic found on the way.

`frontend.check_file` runs syntax and check for one file and its imports.
"""
