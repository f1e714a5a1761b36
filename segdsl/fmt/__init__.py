"""`segdsl fmt`: rule files in one canonical layout, every comment kept.

trivia.py reads the concrete tree and attaches comments to tokens, layout.py
and expressions.py turn the tree into a document (one method per node),
tables.py aligns table tests, doc.py prints the document to a width, and
format.py checks that the result means what the file meant.
"""
from .format import Formatted, format_source, shape

__all__ = ["Formatted", "format_source", "shape"]
