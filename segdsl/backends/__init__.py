"""Backends turn a Plan (segdsl/passes) into something that runs.

interp.py    the reference interpreter: the checker's IR, slow and obvious, the oracle
python.py    generated Python: one `evaluate` and one `pop_arg_N` per live statistic
sql.py       one sqlglot SELECT per query; transforms for engines; `to_sql` for text
dialects.py  how a tree is written per dialect (PostgreSQL's quirks)
errors.py    NotSupported: what a backend cannot express, as a diagnostic (SEG501)
layout.py    the output's columns, shared with the engines

Built-in functions mean the same in all three through one table (segdsl/builtins.py).
"""
