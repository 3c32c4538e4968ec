"""Budget verdicts as JUnit XML, the format CI systems render as test results: one
``testsuite`` per app, one ``testcase`` per variant and budget, a ``failure`` for an exceeded
budget, an ``error`` for one that could not be measured (``skipped`` when that is allowed)."""

from __future__ import annotations

import platform
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from kit.model.budgets import BudgetCheck


def junit_xml(
    app: str,
    checks: Sequence[BudgetCheck],
    *,
    run_id: str,
    timestamp: str,
    allow_unmeasured: bool = False,
    properties: dict[str, str] | None = None,
) -> ET.ElementTree:
    failures = sum(c.verdict == "exceeded" for c in checks)
    unmeasured = sum(c.verdict == "not measured" for c in checks)
    counts = {
        "tests": str(len(checks)),
        "failures": str(failures),
        "errors": "0" if allow_unmeasured else str(unmeasured),
        "skipped": str(unmeasured) if allow_unmeasured else "0",
    }
    root = ET.Element("testsuites", {"name": "kit check", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": f"kit check {app}", "timestamp": timestamp, "hostname": platform.node(), **counts},
    )
    props = ET.SubElement(suite, "properties")
    for name, value in {"run_id": run_id, **(properties or {})}.items():
        ET.SubElement(props, "property", name=name, value=value)
    for check in checks:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{app}.{check.variant}",
            name=f"{check.budget}: {check.limit}",
            time="0",
        )
        message = f"{check.limit}: measured {check.measured}"
        if check.verdict == "exceeded":
            ET.SubElement(case, "failure", message=message, type="exceeded").text = message
        elif check.verdict == "not measured":
            tag = "skipped" if allow_unmeasured else "error"
            ET.SubElement(case, tag, message=check.measured, type="not measured")
        else:
            ET.SubElement(case, "system-out").text = f"measured {check.measured}"
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: Path, tree: ET.ElementTree) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
