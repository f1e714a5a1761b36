"""The engine registry and the engine contract: one list of engines for the CLI,
the API and the tests; an engine added by registering it alone. That no module reaches into an
engine, and that backends never import engines, is tests/test_layers.py's."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import segdsl
from segdsl.api import OptionError
from segdsl.cli import app
from segdsl.engines import registry
from segdsl.engines.base import Engine
from tests.engines.interpreter_engine import NAME, InterpreterEngine

ROOT = Path(__file__).resolve().parents[2]
TELCO = ROOT / "rulesets" / "telco_churn.seg"
SAMPLE = ROOT / "segdsl" / "samples" / "telco_customers.csv"


@pytest.fixture
def toy():
    """The toy engine registered for one test; the registry as it was afterwards
    (tests/conformance/conftest.py may have registered it for the whole run)."""
    was = NAME in registry.names()
    registry.register(InterpreterEngine())
    yield NAME
    if was:
        registry.register(InterpreterEngine())
    else:
        registry.unregister(NAME)


def test_the_built_in_engines_satisfy_the_contract():
    assert {"duckdb", "python", "spark"} <= set(registry.names())
    assert set(registry.available()) <= set(registry.names())
    for name in registry.available():
        engine = registry.get(name)
        assert isinstance(engine, Engine) and engine.name == name


def test_a_registered_engine_runs_from_the_cli_and_the_api(tmp_path, toy):
    outs = {}
    for engine in ("python", toy):
        out = tmp_path / f"{engine}.csv"
        r = CliRunner().invoke(app, ["apply", str(TELCO), "--input", str(SAMPLE), "-o", str(out), "--engine", engine])
        assert r.exit_code == 0, r.output
        outs[engine] = out.read_bytes()
    assert outs["python"] == outs[toy]
    rules = segdsl.load(TELCO)
    assert rules.apply(SAMPLE, engine=toy).equals(rules.apply(SAMPLE, engine="python"))


def test_an_unregistered_engine_is_unknown_again(toy):
    registry.unregister(toy)
    assert toy not in registry.names()
    with pytest.raises(OptionError, match=rf"^engine='{toy}': available engines: "):
        segdsl.load(TELCO).apply(SAMPLE, engine=toy)


def test_the_python_engine_imports_neither_duckdb_nor_spark(tmp_path):
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from segdsl.check.frontend import check_file\n"
        "from segdsl.engines.options import ApplyOptions\n"
        "from segdsl.service import app\n"
        "from segdsl.service.params import resolve_params\n"
        f"rs = check_file({str(TELCO)!r}).ruleset\n"
        f"app.apply(rs, 'python', ApplyOptions(inputs={{'customer': Path({str(SAMPLE)!r})}}, "
        "params=resolve_params(rs)))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pyspark', 'segdsl.engines.duckdb', "
        "'segdsl.engines.spark'))))\n")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
