"""Hostile inputs: rule files, data, paths and arguments a careless or malicious user
could give. Each test is one class of attack; every case must end in a clear message
with a location and a non-zero exit (or the documented result), never a traceback.
docs/robustness.md lists each class, what segdsl does, and the test that proves it."""
