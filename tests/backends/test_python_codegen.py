"""Generated Python: safe quoting, null logic, and agreement with the interpreter."""
from __future__ import annotations

import ast

from segdsl.backends.python import compile_program, generate
from tests.helpers import ruleset, segment_both

# as written inside a rule-file string: the text is  "); import os; os.system("echo pwned"); ("
HOSTILE = '\\"); import os; os.system(\\"echo pwned\\"); (\\"'


def test_hostile_labels_strings_and_attributes_are_inert(tmp_path):
    rs = ruleset(tmp_path, f'''
ruleset hostile "{HOSTILE}" version "{HOSTILE}"
input customer key id {{
  id: string
  name: string? "{HOSTILE}"
  kind: enum {{ a = "'); __import__('os').system('x'); ('" "{HOSTILE}", 客户 = "\\\\n\\"" }}
}}
dimension d "{HOSTILE}" first {{
  segment 高价值 "{HOSTILE}" when name = "{HOSTILE}" {{ action: "{HOSTILE}", "键": "\\"\\"\\"; x = 1" }}
  segment quoted "q" when name = "it's \\\\ a \\"test\\"" or kind = a
  otherwise other "#{{comment}}"
}}
test "hostile" {{
  given {{ id: "1", name: "{HOSTILE}" }}
  expect d = 高价值
}}
''')
    source, _ = generate(rs)
    tree = ast.parse(source)
    # nothing but function definitions, assignments of constants and the sentinel at module level
    assert all(isinstance(n, (ast.FunctionDef, ast.Assign)) for n in tree.body)
    assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "__import__" not in calls and "system" not in calls
    got = segment_both(rs, [
        {"id": "1", "name": '"); import os; os.system("echo pwned"); ("'},
        {"id": "2", "name": 'it\'s \\ a "test"'},
        {"id": "3", "kind": "a"},
        {"id": "4", "kind": "客户"},
        {"id": "5"},
    ])
    assert [g["d"] for g in got] == ["高价值", "quoted", "quoted", "other", "other"]


def test_generated_code_has_a_line_map_back_to_rules(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset m
input customer key id { id: string  arpu: number? }
let big = arpu > 100
dimension value first {
  segment high when big
  segment low when arpu <= 100
  otherwise unknown
}
''')
    program = compile_program(rs)
    lines = program.source.splitlines()
    mapped = {sp.line for _, sp in program.line_map}
    assert {4, 6, 7} <= mapped
    for ln, sp in program.line_map:
        if sp.line == 6:
            assert "high" in lines[ln - 1]
    assert program.span_for_line(len(lines)).path.endswith("rules.seg")


def test_three_valued_logic_matches_sql(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset nulls
input customer key id { id: string  age: int?  score: number? }
dimension a first {
  segment old when age >= 60
  segment not_old when not (age >= 60)
  otherwise missing
}
dimension b first {
  segment either when age >= 60 or score > 1
  segment neither when not (age >= 60 or score > 1)
  otherwise unknown
}
dimension c first {
  segment in_list when age in [1, 2, null]
  segment not_in when age not in [1, 2, null]
  otherwise unknown
}
dimension d first {
  segment bt when age between 18 and 30
  segment nbt when age not between 18 and 30
  otherwise unknown
}
''')
    got = segment_both(rs, [
        {"id": "1"}, {"id": "2", "age": 70}, {"id": "3", "age": 20}, {"id": "4", "score": 5.0},
        {"id": "5", "age": 1}, {"id": "6", "age": 20, "score": 0.5},
    ])
    assert [g["a"] for g in got] == ["missing", "old", "not_old", "missing", "not_old", "not_old"]
    assert [g["b"] for g in got] == ["unknown", "either", "unknown", "either", "unknown", "neither"]
    # `x in [1, 2, null]`: true when x is 1 or 2, otherwise unknown, never false
    assert [g["c"] for g in got] == ["unknown", "unknown", "unknown", "unknown", "in_list", "unknown"]
    assert [g["d"] for g in got] == ["unknown", "nbt", "bt", "unknown", "nbt", "bt"]


def test_division_by_zero_is_null_and_arithmetic(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset arith
param as_of: date = 2026-11-01
input customer key id { id: string  a: number  b: number?  since: date?  n: int = 0 }
let ratio = a / b
let idle = days_between(since, as_of)
dimension r first {
  segment inf when ratio > 1000000
  segment one when ratio = 1
  segment half when ratio = 1.5
  otherwise none
}
dimension i first {
  segment long when idle > 30
  segment short when idle <= 30
  otherwise unknown
}
dimension t first {
  segment whole when n / 12 = 1.5
  segment c when case when n > 5 then "big" else "small" end = "big"
  otherwise o
}
''')
    got = segment_both(rs, [
        {"id": "1", "a": 5.0, "b": 0.0, "since": __import__("datetime").date(2026, 10, 31)},
        {"id": "2", "a": 3.0, "b": 3.0, "since": __import__("datetime").date(2026, 8, 1), "n": 18},
        {"id": "3", "a": 3.0, "b": 2.0, "n": 7},
        {"id": "4", "a": 3.0},
    ])
    assert [g["r"] for g in got] == ["none", "one", "half", "none"]
    assert [g["i"] for g in got] == ["short", "long", "unknown", "unknown"]
    assert [g["t"] for g in got] == ["o", "whole", "c", "o"]


def test_unique_policy_reports_a_conflict(tmp_path):
    from segdsl.runtime.customers import UniqueConflict
    rs = ruleset(tmp_path, '''
ruleset u
input customer key id { id: string  x: int }
dimension d unique {
  segment small when x < 10
  segment tiny when x < 3
  otherwise big
}
''')
    got = segment_both(rs, [{"id": "1", "x": 5}, {"id": "2", "x": 1}, {"id": "3", "x": 50}])
    assert got[0]["d"] == "small" and got[2]["d"] == "big"
    assert got[1]["d"] == UniqueConflict("d", ("small", "tiny"))


def test_unique_conflict_among_three_segments_on_duckdb(tmp_path):
    """Two of three segments match: a conflict on every engine (SQL's CONCAT_WS must skip the third's null)."""
    from typer.testing import CliRunner

    from segdsl.cli import app
    rules = tmp_path / "u.seg"
    rules.write_text('ruleset u\ninput c key id { id: string  x: int }\n'
                     'dimension d unique { segment a when x > 1 segment b when x > 5 segment z when x > 100 otherwise o }\n',
                     encoding="utf-8")
    data = tmp_path / "in.csv"
    data.write_text("id,x\nk1,3\nk2,9\n", encoding="utf-8")
    for engine in ("duckdb", "python"):
        r = CliRunner().invoke(app, ["apply", str(rules), "--input", str(data), "-o", str(tmp_path / "o.csv"),
                                     "--engine", engine])
        assert r.exit_code == 1 and "row 2" in r.output and "matches a, b" in r.output, (engine, r.output)


def test_constant_conditions_compile_without_python_warnings(tmp_path):
    import warnings
    rs = ruleset(tmp_path, '''
ruleset k
input c key id { id: string  x: int? }
dimension d first {
  segment a when 5 is not null and true and not false
  segment b when null is null or x is null
  segment c when "t" is not null
  otherwise o
}
''')
    source, _ = generate(rs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(source, "<generated>", "exec")
    assert [g["d"] for g in segment_both(rs, [{"id": "1", "x": 1}])] == ["a"]


def test_null_tests_on_constants_in_lenient_code_compile_without_warnings(tmp_path):
    """Test records compile lenient code, where every non-constant may be null, folded ones included."""
    import warnings
    rs = ruleset(tmp_path, '''
ruleset k
input c key id { id: string  x: int }
dimension d first {
  segment a when (5 is not null) = (x > 1)
  segment b when coalesce(null is null, x > 3) and x between 1 and 9
  otherwise o
}
''')
    for lenient in (False, True):
        source, _ = generate(rs, lenient=lenient)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            compile(source, "<generated>", "exec")


def test_null_tests_on_constant_arithmetic_are_folded_not_is_with_a_literal(tmp_path):
    """`(100 * 0.95)` is a literal to Python once folded; `literal is not None` would be a SyntaxWarning."""
    import warnings
    rs = ruleset(tmp_path, '''
ruleset k
input c key id { id: string  n: number? }
let limit = case when (100 * 0.95) is not null then 95% end
dimension d first {
  segment a when (100 * 0.95) is not null and n > limit
  segment b when (-3) is null or -(2 + 1.5) is not null and n is null
  segment c when (1 / 2) is null or (7 / 0) is null and (n * 2) is not null
  otherwise o
}
''')
    for lenient in (False, True):
        source, _ = generate(rs, lenient=lenient)
        tests = [n.left for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Compare)
                 and any(isinstance(op, (ast.Is, ast.IsNot)) for op in n.ops)]
        assert tests and not any(_constants_only(t) for t in tests), [ast.unparse(t) for t in tests]
        with warnings.catch_warnings():
            warnings.simplefilter("error", SyntaxWarning)
            compile(source, "<generated>", "exec")
    got = segment_both(rs, [{"id": "1", "n": 1.0}, {"id": "2", "n": None}, {"id": "3", "n": 0.5}])
    assert [g["d"] for g in got] == ["a", "b", "c"]


def _constants_only(node: ast.AST) -> bool:
    """Arithmetic on literals: Python folds it into one literal."""
    if isinstance(node, ast.Constant):
        return node.value is not None and not isinstance(node.value, bool)
    if isinstance(node, ast.BinOp):
        return _constants_only(node.left) and _constants_only(node.right)
    if isinstance(node, ast.UnaryOp):
        return _constants_only(node.operand)
    return False


BATCH_RULES = '''
ruleset m
input customer key id { id: string  arpu: number?  joined: date? }
param as_of: date = 2026-11-01
let days = days_between(joined, as_of)
dimension value first {
  segment high when arpu > 100
  segment new when days < 30
  otherwise other
}
dimension tags all {
  segment spender when arpu >= 50
  segment known when joined is not null
}
'''


def test_a_batch_of_columns_is_segmented_as_each_record_is(tmp_path):
    """`evaluate_columns` (the Python engine's form for a clean batch) runs evaluate's own
    statements in a loop over the columns, and its lines map back to the same rules."""
    import datetime as dt
    rs = ruleset(tmp_path, BATCH_RULES)
    program = compile_program(rs)
    records = [{"id": "a", "arpu": 150.0, "joined": None}, {"id": "b", "arpu": None, "joined": dt.date(2026, 10, 20)},
               {"id": "c", "arpu": 60.0, "joined": dt.date(2020, 1, 1)}, {"id": "d", "arpu": None, "joined": None}]
    params = {"as_of": dt.date(2026, 11, 1)}
    columns = {name: [r[name] for r in records] for name in ("id", "arpu", "joined")}
    want = [program.evaluate(r, {}, params, [], {}) for r in records]
    assert program.evaluate_columns(columns, len(records), params, [], {}) == want
    assert want == [("high", ("spender",)), ("new", ("known",)), ("other", ("spender", "known")), ("other", ())]
    assert program.evaluate_columns({name: [] for name in columns}, 0, params, [], {}) == []
    lines = program.source.splitlines()
    start = next(i for i, line in enumerate(lines, 1) if line.startswith("def evaluate_columns("))
    mapped = [(ln, sp) for ln, sp in program.line_map if ln > start]
    assert {sp.line for _, sp in mapped} == {sp.line for ln, sp in program.line_map if ln < start}
    for ln, sp in mapped:
        if sp.line == 7:
            assert "# high" in lines[ln - 1]


def test_a_batch_reading_no_field_still_has_a_result_per_customer(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset m
input customer key id { id: string }
dimension everyone first {
  segment all_of_them when true
}
''')
    program = compile_program(rs)
    assert program.evaluate_columns({}, 3, {}, [], {}) == [("all_of_them",)] * 3


def test_rules_reading_related_rows_have_no_batch_form(tmp_path):
    rs = ruleset(tmp_path, '''
ruleset m
input customer key id { id: string }
related orders of customer by customer_id { customer_id: string  amount: number }
dimension buyer first {
  segment big when sum(orders.amount) > 100
  otherwise small
}
''')
    program = compile_program(rs)
    assert program.evaluate_columns is None and "def evaluate_columns" not in program.source


def test_an_all_dimension_grows_a_tuple_in_segment_order(tmp_path):
    """Matching names are added to a tuple (no list, appends and `tuple()` per customer),
    still in the order the segments are written; a `unique` conflict names them alike."""
    rs = ruleset(tmp_path, '''
ruleset t
input customer key id { id: string  x: int }
dimension tags all {
  segment big when x > 10
  segment odd when x in [5, 9, 13]
  segment any when true
}
dimension u unique {
  segment a when x > 1
  segment b when x > 5
  otherwise o
}
''')
    program = compile_program(rs)
    evaluate = _bound(program.source)
    assert not {"list", "tuple"} & {n.id for n in ast.walk(evaluate) if isinstance(n, ast.Name)}
    assert not any(isinstance(n, (ast.List, ast.Attribute)) for n in ast.walk(evaluate))
    got = [program.evaluate({"id": "k", "x": x}, {}, {}, [], {})[0] for x in (11, 4, 13)]
    assert got == [("big", "any"), ("any",), ("big", "odd", "any")]
    conflict = program.evaluate({"id": "k", "x": 9}, {}, {}, [], {})[1]
    assert conflict.segments == ("a", "b") and type(conflict.segments) is tuple


def _bound(source: str) -> ast.FunctionDef:
    """The per-customer function `bind` returns (a run's `evaluate(record, rows)`)."""
    bind = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "bind")
    return next(n for n in bind.body if isinstance(n, ast.FunctionDef) and n.name == "evaluate")


def _line(source: str, segment: str) -> str:
    """The line of the run's `evaluate` that tests `segment` (each ends `# name`)."""
    bound = source[source.index("def bind("):source.index("\ndef evaluate(")]
    return next(line for line in bound.splitlines() if line.endswith(f"# {segment}"))


def test_a_run_binds_its_params_once_and_calls_evaluate_with_the_record_alone(tmp_path):
    """`bind` reads the params once; what it returns takes a record and its rows, reads no
    `params` dict, and gives what the one-call `evaluate` gives."""
    rs = ruleset(tmp_path, '''
ruleset t
param floor: int = 10
input customer key id { id: string  x: int? }
dimension d first {
  segment big when x >= floor
  otherwise small
}
''')
    program = compile_program(rs)
    evaluate = _bound(program.source)
    assert [a.arg for a in evaluate.args.args] == ["record", "rows"]
    assert "params" not in {n.id for n in ast.walk(evaluate) if isinstance(n, ast.Name)}
    bound = program.bind({"floor": 10}, [], {})
    higher = program.bind({"floor": 20}, [], {})
    for x in (None, 5, 10, 15, 25):
        record = {"id": "k", "x": x}
        assert bound(record, {}) == program.evaluate(record, {}, {"floor": 10}, [], {})
        assert higher(record, {}) == program.evaluate(record, {}, {"floor": 20}, [], {})
    assert [bound({"id": "k", "x": x}, {})[0] for x in (None, 5, 10)] == ["small", "small", "big"]
    assert higher({"id": "k", "x": 15}, {})[0] == "small"


def test_a_threshold_ladder_tests_its_value_for_null_once(tmp_path):
    """Every segment compares `x` with constants: one `x is None` first, then the bare
    comparisons; a dimension where one segment reads something else keeps a test per segment."""
    rs = ruleset(tmp_path, '''
ruleset t
input customer key id { id: string  x: number?  y: number? }
dimension ladder first {
  segment top when x >= 300
  segment mid when x between 60 and 299.5
  segment low when x < 60
  otherwise unknown
}
dimension mixed first {
  segment top when x >= 300
  segment other when y > 1
}
''')
    program = compile_program(rs)
    bound = program.source[program.source.index("def bind("):program.source.index("\ndef evaluate(")]
    assert bound.count(" is None:") == 1                             # the ladder's one test, first
    assert all("None" not in _line(program.source, s) for s in ("top", "mid", "low")[1:])
    assert "is not None" in _line(program.source, "other")           # `mixed` keeps its tests
    got = [program.evaluate({"id": "k", "x": x, "y": y}, {}, {}, [], {}) for x, y in
           [(None, None), (400, 0), (100, None), (10, 5), (299.75, 2)]]
    assert got == [("unknown", None), ("top", "top"), ("mid", None), ("low", "other"), ("unknown", "other")]


def test_equality_with_a_value_needs_no_null_test(tmp_path):
    """`x = c` and `x in [c, ...]` are false for a null x without testing it; `!=`, `not in`
    and an ordering still test it."""
    rs = ruleset(tmp_path, '''
ruleset t
input customer key id { id: string  k: enum { a, b, c }?  n: int? }
dimension eq all {
  segment is_a when k = a
  segment big when n = 3 and n > 1
  segment not_a when k != a
  segment both when k = c and n > 0
  segment in_ab when k in [a, b]
  segment not_in when k not in [a, b]
}
''')
    program = compile_program(rs)
    assert "None" not in _line(program.source, "is_a") and "None" not in _line(program.source, "in_ab")
    assert "None" in _line(program.source, "not_a") and "None" in _line(program.source, "not_in")
    assert _line(program.source, "big").count("is not None") == 1   # for `n > 1`, not for `n = 3`
    got = [program.evaluate({"id": "i", "k": k, "n": n}, {}, {}, [], {})[0] for k, n in
           [(None, None), ("a", 3), ("b", 2), ("c", None)]]
    assert got == [(), ("is_a", "big", "in_ab"), ("not_a", "in_ab"), ("not_a", "not_in")]


def test_consecutive_tags_on_one_value_share_its_null_test(tmp_path):
    """In an `all` or `unique` dimension, segments in a row that compare one nullable value
    with constants sit under one `x is not None:`; the order of the names and a `unique`
    conflict are as before."""
    rs = ruleset(tmp_path, '''
ruleset t
input customer key id { id: string  x: int?  y: int? }
dimension tags all {
  segment young when x between 18 and 30
  segment senior when x >= 60
  segment other when y > 1
  segment low when x < 10
}
dimension u unique {
  segment a when x > 10
  segment b when x > 50
  otherwise o
}
''')
    program = compile_program(rs)
    bound = program.source[program.source.index("def bind("):program.source.index("\ndef evaluate(")]
    x = program.source.split("record['x']")[0].split()[-2]
    assert bound.count(f"if {x} is not None:") == 2                 # `tags`' first two, and `u`
    assert "None" not in _line(program.source, "senior") and "None" not in _line(program.source, "young")
    assert "is not None" in _line(program.source, "low")            # not next to them: its own test
    got = [program.evaluate({"id": "k", "x": x, "y": y}, {}, {}, [], {}) for x, y in
           [(None, 2), (20, None), (60, 5), (5, None)]]
    assert [g[0] for g in got] == [("other",), ("young",), ("senior", "other"), ("low",)]
    assert [got[0][1], got[1][1], got[3][1]] == ["o", "a", "o"] and got[2][1].segments == ("a", "b")
