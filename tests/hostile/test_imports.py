"""Rule files that try to make segdsl read what is not a rule file of the project.

An import resolves (symlinks followed) inside the folder of the main rule file and
below, and names a `.seg` file; every rule file is a regular file of at most 4 MiB.
Anything else is refused at the import (SEG118) or for the main file (SEG008),
without hanging, without reading it and without quoting a line of it.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segdsl.check.frontend import check_file
from segdsl.cli import app
from segdsl.diagnostics import render
from segdsl.syntax.reading import MAX_BYTES

SECRET = "SECRET-7f3a"
TAIL = 'input customer key id {\n  id: string\n}\ndimension v first {\n  otherwise rest\n}\n'
runner = CliRunner()


def _project(tmp_path: Path) -> Path:
    """tmp/project/main.seg, with tmp/outside/ holding a rule file beside the project."""
    (tmp_path / "project" / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "shared.seg").write_text(f"# {SECRET}\nlet shared = 1\n", encoding="utf-8")
    (tmp_path / "project" / "common.seg").write_text("let common = 1\n", encoding="utf-8")
    return tmp_path / "project"


def _with_deadline(fn, seconds: float = 20.0):
    """Run `fn` in a thread: a read that blocks (a pipe, a device) fails the test instead of hanging it."""
    box: dict = {}
    t = threading.Thread(target=lambda: box.setdefault("value", fn()), daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "segdsl blocked reading a file"
    return box["value"]


def _main(project: Path, import_line: str) -> Path:
    main = project / "main.seg"
    main.write_text(f'ruleset shop\n{import_line}\n{TAIL}', encoding="utf-8")
    return main


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _symlink(target: str):
    def make(p: Path) -> None:
        p.symlink_to(target)
    return make


# (name, what to create at project/sub/NAME (or None), the import line, words the message must hold)
REFUSED = [
    ("parent-escape", None, 'import "../outside/shared.seg"', "outside the project"),
    ("deep-escape", None, 'import "../../../../../../../../etc/passwd"', "outside the project"),
    ("absolute-outside", None, 'import "{tmp}/outside/shared.seg"', "outside the project"),
    ("absolute-proc", None, 'import "/proc/self/environ"', "outside the project"),
    ("absolute-dev-zero", None, 'import "/dev/zero"', "outside the project"),
    ("symlink-outside", ("link.seg", _symlink("../../outside/shared.seg")), 'import "sub/link.seg"',
     "outside the project"),
    ("symlink-dev-zero", ("zero.seg", _symlink("/dev/zero")), 'import "sub/zero.seg"', "outside the project"),
    ("symlink-etc", ("passwd.seg", _symlink("/etc/passwd")), 'import "sub/passwd.seg"', "outside the project"),
    ("not-seg-suffix", ("notes.txt", lambda p: p.write_text(f"{SECRET}\n")), 'import "sub/notes.txt"', "`.seg`"),
    ("no-suffix", ("README", lambda p: p.write_text(f"{SECRET}\n")), 'import "sub/README"', "`.seg`"),
    ("fifo", ("pipe.seg", _fifo), 'import "sub/pipe.seg"', "named pipe"),
    ("folder", ("folder.seg", lambda p: p.mkdir()), 'import "sub/folder.seg"', "a folder"),
    ("too-large", ("big.seg", lambda p: p.write_bytes(b"#" * (MAX_BYTES + 1))), 'import "sub/big.seg"',
     "larger than 4 MiB"),
    ("symlink-loop", ("loop.seg", _symlink("loop.seg")), 'import "sub/loop.seg"', "form a loop"),
    ("folder-loop", ("ring", _symlink("ring")), 'import "sub/ring/x.seg"', "form a loop"),
]


@pytest.mark.parametrize("name,make,line,words", REFUSED, ids=[r[0] for r in REFUSED])
def test_an_import_outside_the_project_or_not_a_rule_file_is_refused_unread(tmp_path, name, make, line, words):
    project = _project(tmp_path)
    if make is not None:
        make[1](project / "sub" / make[0])
    main = _main(project, line.format(tmp=tmp_path))
    result = _with_deadline(lambda: check_file(main))
    assert [d.code for d in result.diagnostics] == ["SEG118"], result.diagnostics
    d = result.diagnostics[0]
    assert words in d.message and (d.span.line, d.span.col) == (2, 1)
    assert not result.ok
    shown = render.text(result.diagnostics, result.texts)
    assert SECRET not in shown and "root:" not in shown
    assert set(result.texts) == {str(main)}, "nothing but the main file was read"


def test_a_nested_import_cannot_climb_out_through_a_subfolder(tmp_path):
    project = _project(tmp_path)
    (project / "sub" / "a.seg").write_text('import "../../outside/shared.seg"\n', encoding="utf-8")
    result = check_file(_main(project, 'import "sub/a.seg"'))
    codes = [(d.code, d.span.path) for d in result.diagnostics]
    assert codes == [("SEG118", str(project / "sub" / "a.seg"))], codes


def test_imports_inside_the_project_still_work_through_parent_folders_and_symlinks(tmp_path):
    project = _project(tmp_path)
    (project / "sub" / "a.seg").write_text('import "../common.seg"\nlet a = common\n', encoding="utf-8")
    (project / "sub" / "alias.seg").symlink_to("a.seg")
    main = project / "main.seg"
    main.write_text(f'ruleset shop\nimport "sub/alias.seg"\n{TAIL}'.replace("otherwise rest",
                                                                            "segment one when a = 1\n  otherwise rest"))
    result = check_file(main)
    assert result.ok, result.diagnostics


def test_allow_imports_outside_reads_beyond_the_project_but_never_a_pipe(tmp_path):
    project = _project(tmp_path)
    main = _main(project, f'import "{tmp_path}/outside/shared.seg"')
    assert not check_file(main).ok
    assert check_file(main, allow_imports_outside=True).ok
    r = runner.invoke(app, ["check", str(main), "--allow-imports-outside"])
    assert r.exit_code == 0, r.output
    os.mkfifo(tmp_path / "outside" / "pipe.seg")
    main = _main(project, f'import "{tmp_path}/outside/pipe.seg"')
    result = _with_deadline(lambda: check_file(main, allow_imports_outside=True))
    assert [d.code for d in result.diagnostics] == ["SEG118"]


MAIN_FILES = [
    ("fifo", lambda tmp: (os.mkfifo(tmp / "pipe.seg"), tmp / "pipe.seg")[1], "named pipe"),
    ("dev-zero", lambda tmp: Path("/dev/zero"), "character device"),
    ("dev-null", lambda tmp: Path("/dev/null"), "character device"),
    ("too-large", lambda tmp: ((tmp / "big.seg").write_bytes(b" " * (MAX_BYTES + 1)), tmp / "big.seg")[1],
     "larger than 4 MiB"),
    ("symlink-loop", lambda tmp: ((tmp / "l.seg").symlink_to("l.seg"), tmp / "l.seg")[1], "form a loop"),
    ("folder-loop", lambda tmp: ((tmp / "ring").symlink_to("ring"), tmp / "ring" / "x.seg")[1], "form a loop"),
]


@pytest.mark.parametrize("name,make,words", MAIN_FILES, ids=[m[0] for m in MAIN_FILES])
@pytest.mark.parametrize("command", ["check", "test"])
def test_the_main_file_is_a_regular_file_of_bounded_size(tmp_path, name, make, words, command):
    path = make(tmp_path)
    r = _with_deadline(lambda: runner.invoke(app, [command, str(path)]))
    assert r.exit_code == 1, r.output
    assert "error[SEG008]" in r.output and words in r.output and "Traceback" not in r.output


COMMANDS = {
    "check": [], "test": [], "compile": [], "apply": ["-i", "customer={csv}", "--engine", "python"],
    "stats": ["-i", "customer={csv}", "-o", "{tmp}/stats.json"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_refuses_an_import_outside_and_takes_the_opt_out(tmp_path, command):
    project = _project(tmp_path)
    main = _main(project, f'import "{tmp_path}/outside/shared.seg"')
    csv = tmp_path / "c.csv"
    csv.write_text("id\n1\n", encoding="utf-8")
    args = [command, str(main), *(a.format(csv=csv, tmp=tmp_path) for a in COMMANDS[command])]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "error[SEG118]" in refused.output and SECRET not in refused.output
    allowed = runner.invoke(app, [*args, "--allow-imports-outside"])
    assert "SEG118" not in allowed.output and "Traceback" not in allowed.output, allowed.output


def test_the_python_api_refuses_an_import_outside_and_takes_the_opt_out(tmp_path):
    import segdsl
    project = _project(tmp_path)
    main = _main(project, f'import "{tmp_path}/outside/shared.seg"')
    with pytest.raises(segdsl.LoadError) as exc:
        segdsl.load(main)
    assert [d.code for d in exc.value.diagnostics] == ["SEG118"]
    assert segdsl.load(main, allow_imports_outside=True).ruleset is not None
