"""Small helpers shared by tests: check a rule text, run a ruleset on records.

Every file a test reads is inside the repository: the shipped rulesets and
the design examples copied into tests/fixtures/examples."""
from __future__ import annotations

import re
from pathlib import Path

from segdsl.backends.interp import Interpreter
from segdsl.backends.python import evaluate_with_generated
from segdsl.runtime.customers import Customer
from segdsl.check.frontend import check_file
from segdsl.service.params import resolve_params

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = sorted((FIXTURES / "examples").glob("*.seg"))
# the flat rule files, and the main files of the domain folders (rulesets/DOMAIN/*.seg;
# a fragment to import, such as classic_bases/shared/customer.seg, is one level deeper)
RULESETS = sorted((ROOT / "rulesets").glob("*.seg")) + sorted((ROOT / "rulesets").glob("*/*.seg"))
RULE_FILES = EXAMPLES + RULESETS          # every real rule file the suites run
# the parser's own names for tokens: a message must never show one to an analyst
TERMINAL_NAMES = re.compile(r"__ANON|\$END|\b(RBRACE|LBRACE|RPAR|LPAR|LSQB|RSQB|COMMA|COLON|COMP_OP|TABLE_TEXT|"
                            r"NULLABLE|PERCENT|DATETIME|_KEY|_FROM)\b")

# The smallest ruleset that reads a file and writes one: for tests about files, not rules.
TINY_RULES = """ruleset r version "1"
input customer key id {
  id: string
  v:  int?
}
dimension d first {
  segment hi when v >= 5
  otherwise lo
}
"""


def process_engines() -> list[str]:
    """The engines a new `segdsl` process has: the registry's own, not those a test registers
    in this one."""
    from segdsl.engines import registry
    return [n for n in registry.available() if type(registry.get(n)).__module__.startswith("segdsl.")]


def cli_probe(report: str) -> str:
    """Source for `python -c PROBE ARGS...`: the command line run in that process on ARGS, then
    `print(report)` (an expression) from an atexit function, since the command ends the process
    itself once the atexit functions have run (cli._leave)."""
    return ("import atexit, sys, runpy; sys.argv = ['segdsl', *sys.argv[1:]]\n"
            f"atexit.register(lambda: print({report}))\n"
            "runpy.run_module('segdsl.cli', run_name='__main__')")


def many_rows(root: Path, rules: str, rows: int, csv_name: str, last: str = "") -> Path:
    """`root/r.seg` holding `rules` and the CSV `root/csv_name` of `rows` customers `c<i>` with
    `v` = i mod 10 (then the line `last`, if given): an input long enough that a run writes
    many batches of it. Returns `root`."""
    (root / "r.seg").write_text(rules, encoding="utf-8")
    with open(root / csv_name, "w", encoding="utf-8") as f:
        f.write("id,v\n")
        f.writelines(f"c{i},{i % 10}\n" for i in range(rows))
        f.write(last)
    return root


def check_text(tmp_path, text: str, name: str = "rules.seg"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return check_file(p)


def ruleset(tmp_path, text: str):
    r = check_text(tmp_path, text)
    assert r.ok, [(d.code, d.message) for d in r.diagnostics]
    return r.ruleset


def arrow_columns(rs, records: list[dict], names) -> dict:
    """The records' fields `names` as the typed Arrow columns the Python engine gives the
    vector form (backends/vector.py) for a clean batch."""
    import pyarrow as pa
    from segdsl.backends.arrow_types import ARROW_TYPES
    kinds = {f.name: f.type.kind for f in rs.customer.fields}
    return {n: pa.array([r.get(n) for r in records], ARROW_TYPES[kinds[n]]) for n in names}


def segment_both(rs, records: list[dict], params: dict | None = None) -> list[dict]:
    """Run the interpreter and the generated code; assert they agree; return the dimensions."""
    p = resolve_params(rs) if params is None else params
    full = []
    for i, rec in enumerate(records):
        row = {f.name: rec.get(f.name, f.default if f.has_default else None) for f in rs.customer.fields}
        full.append(Customer(key=i, record=row, rows={}, row=i + 1))
    expected = [{d.name: env[d.name] for d in rs.dimensions} for env in Interpreter(rs, p).run(full)]
    got = evaluate_with_generated(rs, full, p, {})
    assert got == expected
    return got
