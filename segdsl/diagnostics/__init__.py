"""Diagnostics as values: every code documented once (`codes`), the value
stages return (`values`), did-you-mean (`suggest`), and the one module that
turns them into text or JSON (`render`)."""
