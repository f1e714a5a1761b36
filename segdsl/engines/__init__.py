"""Engines run a compiled ruleset on data: read and validate inputs, apply
the bad-row policy, segment, and write the output atomically."""
