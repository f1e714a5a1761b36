"""Backends turn the typed IR into something that runs: the reference
interpreter (the oracle), generated Python, and (later) SQL."""
