"""Test results as JUnit XML (`segdsl test --format junit`), the format CI systems show.

One `testsuite` per rule file, one `testcase` per test case (each row of a
table test is a case of its own, named `name (row N)`). A failed case's
`failure` gives, per dimension, the expected and the actual segment and the
values that decided them; a file whose rules do not check is one case with
an `error` holding its diagnostics. Built with ElementTree, so every text is
escaped; rule text goes through `render.visible` first, as XML 1.0 cannot
carry control characters at all.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from .. import ir
from ..check.frontend import CheckResult
from ..diagnostics import render
from .testing import Failure, TestReport, show


@dataclass(frozen=True)
class FileResult:
    file: str
    check: CheckResult
    report: TestReport | None          # None: the rules did not check, no test ran


def junit(results: list[FileResult]) -> str:
    root = ET.Element("testsuites", name="segdsl test")
    totals = [0, 0, 0]
    for r in results:
        suite = _suite(r)
        root.append(suite)
        for i, key in enumerate(("tests", "failures", "errors")):
            totals[i] += int(suite.get(key))
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _text(s: Any) -> str:
    return render.visible(str(s)).replace("\ufffe", "<U+FFFE>").replace("\uffff", "<U+FFFF>")


def _suite(r: FileResult) -> ET.Element:
    suite = ET.Element("testsuite", name=_text(r.file))
    if r.report is None:
        case = ET.SubElement(suite, "testcase", name="rules check", classname=_text(r.file), file=_text(r.file))
        errors = [d for d in r.check.diagnostics if d.is_error]
        error = ET.SubElement(case, "error", message=f"the rules do not check: {render.summary(r.check.diagnostics)}",
                              type="check")
        error.text = _text(render.text(errors, r.check.texts))
        suite.set("tests", "1"), suite.set("failures", "0"), suite.set("errors", "1")
        return suite
    rs = r.report.ruleset
    by_case: dict[int, list[Failure]] = {}
    for f in r.report.failures:
        by_case.setdefault(id(f.case), []).append(f)
    count = failed = 0
    for test in rs.tests:
        for row, case in enumerate(test.cases, start=1):
            count += 1
            el = ET.SubElement(suite, "testcase", name=_text(case_name(test, row)), classname=_text(rs.name),
                               file=_text(rs.path), line=str(case.span.line))
            failures = by_case.get(id(case))
            if failures:
                failed += 1
                _failure(el, failures)
    suite.set("tests", str(count)), suite.set("failures", str(failed)), suite.set("errors", "0")
    return suite


def _failure(el: ET.Element, failures: list[Failure]) -> None:
    message = "; ".join(f"expected {f.dimension} = {show(f.expected)}, got {show(f.got)}" for f in failures)
    lines = []
    for f in failures:
        lines.append(f"{f.dimension}: expected {show(f.expected)}, got {show(f.got)}")
        if f.decided_by:
            lines.append("  decided by: " + ", ".join(f"{n} = {show(v)}" for n, v in f.decided_by))
    node = ET.SubElement(el, "failure", message=_text(message), type="expectation")
    node.text = _text("\n".join(lines))


def case_name(test: ir.Test, row: int) -> str:
    return test.name + (f" (row {row})" if test.is_table else "")
