"""The reserved words of the language (LANGUAGE.md §11)."""
KEYWORDS = frozenset("""ruleset version import input related of by key from in param let
dimension segment when otherwise first unique all test given with expect table and or not
is null true false between case then else end desc where""".split())
