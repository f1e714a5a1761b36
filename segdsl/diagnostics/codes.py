"""The table of diagnostic codes: one code per kind of problem.

docs/diagnostics.md lists the same table with an example each, and
tests/diagnostics/ holds one broken rule file per code.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"          # said once, never fails a check (`--strict` included)


@dataclass(frozen=True, slots=True)
class Code:
    """One row of the code table: a diagnostic code, its severity and a short title."""
    code: str
    severity: Severity
    title: str


_E, _W, _N = Severity.ERROR, Severity.WARNING, Severity.NOTE

CODES: dict[str, Code] = {c.code: c for c in [
    # syntax
    Code("SEG001", _E, "syntax error"),
    Code("SEG002", _E, "unterminated string"),
    Code("SEG003", _E, "full-width punctuation"),
    Code("SEG004", _E, "reserved keyword used as a name"),
    Code("SEG005", _E, "character not allowed here"),
    Code("SEG006", _E, "malformed table test"),
    Code("SEG007", _E, "invalid literal"),
    Code("SEG008", _E, "file cannot be read"),
    Code("SEG009", _E, "expression nested too deeply"),
    # names
    Code("SEG101", _E, "name defined twice"),
    Code("SEG102", _E, "unknown name"),
    Code("SEG103", _E, "unknown enum member"),
    Code("SEG104", _E, "unknown segment"),
    Code("SEG105", _E, "unknown function"),
    Code("SEG106", _E, "unknown type"),
    Code("SEG107", _E, "unknown dimension"),
    Code("SEG108", _E, "import not found"),
    Code("SEG109", _E, "import cycle"),
    Code("SEG110", _E, "definition cycle"),
    Code("SEG111", _E, "unknown related input or field"),
    Code("SEG112", _E, "segment defined twice in a dimension"),
    Code("SEG113", _E, "enum member defined twice"),
    Code("SEG114", _E, "key field not declared"),
    Code("SEG115", _E, "more than one customer input"),
    Code("SEG116", _E, "pinned name is not a let"),
    Code("SEG117", _E, "missing or repeated ruleset header"),
    Code("SEG118", _E, "import not allowed"),
    Code("SEG119", _E, "column name already taken"),
    # types and levels
    Code("SEG201", _E, "type mismatch"),
    Code("SEG202", _E, "arithmetic on a value that is not a number"),
    Code("SEG203", _E, "condition is not true/false"),
    Code("SEG204", _E, "wrong arguments to a function"),
    Code("SEG205", _E, "related-row value used without an aggregate"),
    Code("SEG206", _E, "aggregate needs a related input"),
    Code("SEG207", _E, "default or constant of the wrong type"),
    Code("SEG208", _E, "invalid range"),
    Code("SEG209", _E, "comparisons do not chain"),
    Code("SEG210", _E, "mixed types in a list"),
    Code("SEG211", _E, "test value of the wrong type"),
    Code("SEG212", _E, "expected segment does not belong to the dimension"),
    Code("SEG213", _E, "case branches of different types"),
    Code("SEG214", _E, "population function needs a customer value"),
    Code("SEG215", _E, "values from two related inputs mixed"),
    Code("SEG216", _E, "attribute value is not a constant"),
    Code("SEG217", _E, "number out of range"),
    # structure
    Code("SEG301", _E, "otherwise in an `all` dimension"),
    Code("SEG302", _E, "test gives rows of an unknown related input"),
    Code("SEG303", _E, "test has nothing to check"),
    Code("SEG304", _E, "no input declared"),
    Code("SEG305", _E, "related input needs a key"),
    Code("SEG306", _E, "ruleset has no dimension"),
    Code("SEG307", _E, "segments of a unique dimension overlap"),
    # lints (warnings)
    Code("SEG401", _W, "customers get no segment in a dimension without otherwise"),
    Code("SEG402", _W, "customers with missing values get no segment in a dimension without otherwise"),
    Code("SEG403", _W, "unused definition"),
    Code("SEG404", _W, "segment can never match"),
    Code("SEG405", _W, "invisible text-direction control character"),
    Code("SEG406", _W, "condition can never be true"),
    Code("SEG407", _W, "comparison always true or always false"),
    Code("SEG408", _W, "segments with equivalent conditions"),
    Code("SEG409", _W, "two segments with the same label"),
    Code("SEG410", _W, "comparison with null"),
    Code("SEG499", _N, "dimension not analysed"),
    # compile targets: what a backend cannot express (segdsl compile --target sql)
    Code("SEG501", _E, "not expressible in SQL"),
]}
