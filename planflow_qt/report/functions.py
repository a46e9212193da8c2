"""The report's table of optimization functions per round: value, level and achieved level, with the
functions a stop condition tests (a `cond.function_value` node) marked, so a reader sees which of them
became active in which round and why the rounds stopped."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from html import escape

from planflow_qt.catalog.registry import default_registry, plays
from planflow_qt.catalog.spec import Role
from planflow_qt.model.document import Flow
from planflow_qt.report.snapshots import FunctionRow

_TESTS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq}


@dataclass(frozen=True)
class Gate:
    """A function-value condition of the flow: its name, selector and test."""

    name: str
    tags: tuple[str, ...]
    rois: tuple[str, ...]
    types: tuple[str, ...]
    comparison: str
    threshold: float

    def selects(self, row: FunctionRow) -> bool:
        """Whether the condition tests this function (ROIs compared by name as the flow writes them)."""
        if self.tags and not any(fnmatchcase(row.tag, p) for p in self.tags):
            return False
        if self.rois and row.roi not in self.rois:
            return False
        return not self.types or row.type in self.types

    def passes(self, value: float | None) -> bool:
        """Whether a value meets the condition's test."""
        return value is not None and _TESTS[self.comparison](value, self.threshold)


def gates(flow: Flow) -> list[Gate]:
    """The function-value conditions of the flow."""
    out = []
    registry = default_registry()
    for node in flow.nodes:
        if node.disabled or not plays(registry, node.type, Role.TESTS_FUNCTIONS):
            continue
        p, selector = node.params, node.params.get("selector", {})
        out.append(Gate(p.get("name") or node.id, tuple(selector.get("tags", [])), tuple(selector.get("rois", [])),
                        tuple(selector.get("types", [])), p.get("comparison", ">"), float(p.get("threshold", 4e-4))))
    return out


def _cell(row: FunctionRow | None, tested: list[Gate]) -> str:
    if row is None or row.value is None:
        return "<td>-</td>"
    achieved = "-" if row.achieved is None else f"{row.achieved:.0f}"
    klass = ""
    if tested:
        klass = "pass" if all(g.passes(row.value) for g in tested) else "fail"
    return f"<td class='num {klass}'>{row.value:.2e}<br><span class='meta'>achieved {achieved}</span></td>"


def functions_table(flow: Flow, functions: dict[int, list[FunctionRow]]) -> str:
    """Functions (rows) by round (columns): value and achieved level; a function a stop condition tests is
    green in the rounds its value meets the test, red in the others."""
    if not functions:
        return "<p>No optimization function values recorded.</p>"
    rounds = sorted(functions)
    conditions = gates(flow)
    by_round = {r: {row.tag: row for row in functions[r]} for r in rounds}
    tags = list(dict.fromkeys(row.tag for r in rounds for row in functions[r]))
    head = "".join(f"<th>round {r}</th>" for r in rounds)
    rows = []
    for tag in tags:
        last = next(by_round[r][tag] for r in reversed(rounds) if tag in by_round[r])
        tested = [g for g in conditions if g.selects(last)]
        cond = ", ".join(f"{escape(g.name)} {escape(g.comparison)} {g.threshold:g}" for g in tested)
        texts = list(dict.fromkeys(by_round[r][tag].text for r in rounds if tag in by_round[r]))
        cells = "".join(_cell(by_round[r].get(tag), tested) for r in rounds)
        rows.append(f"<tr><td><code>{escape(tag)}</code></td><td>{'<br>'.join(escape(t) for t in texts)}</td>"
                    f"<td>{cond}</td>{cells}</tr>")
    summary = []
    for g in conditions:
        met = [r for r in rounds if (tested := [row for row in functions[r] if g.selects(row)])
               and all(g.passes(row.value) for row in tested)]
        summary.append(f"<li>{escape(g.name)}: every tested function {escape(g.comparison)} {g.threshold:g} in "
                       f"{'round ' + ', '.join(map(str, met)) if met else 'no round'}</li>")
    return (f"<ul>{''.join(summary)}</ul><table><tr><th>tag</th><th>function (levels as they were changed)"
            f"</th><th>tested by</th>{head}</tr>{''.join(rows)}</table>")
