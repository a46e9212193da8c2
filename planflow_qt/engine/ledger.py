"""The changes ledger: every backend call of a run that changes the case, recorded per node.

When a run fails or is stopped, what it created or changed since the last save is what the planner finds in
the case: a plan, ROIs, functions with new values. The ledger lists it (console, audit log, report) and
counts the RayStation undo steps that revert it: one per node that changed something, because each node
runs in one `backend.step(label)` (a CompositeAction).
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from planflow_qt.backends.base import Backend
from planflow_qt.engine.validation import Problem

CHANGES = frozenset({
    "create_roi_algebra", "create_roi_margin", "create_roi_wall", "create_roi_from_dose", "create_plan",
    "set_prescription", "set_isocenter", "add_vmat_arcs", "add_proton_beams", "add_clinical_goals",
    "set_robustness", "set_beam_settings", "set_optimization_settings", "add_function", "update_function",
    "run_optimization", "reset_optimization", "normalize_to_prescription", "compute_final_dose", "save"})
"""Protocol calls that change the case (`save` makes the changes before it safe). The others only read it,
or, like DICOM export, write files outside it."""


@dataclass(frozen=True)
class Change:
    """One change to the case: what (kind and name), how, and the node that made it."""

    node_id: str
    node_type: str
    round: int | None
    kind: str
    name: str
    action: str
    old: str = ""
    new: str = ""
    failed: bool = False

    def describe(self) -> str:
        """`function 'PTV_min' changed: MinDose 5800 cGy (weight 1) -> MinDose 6000 cGy (weight 1) (node f1)`."""
        what = f"{self.kind} {self.name!r}" if self.name else self.kind
        text = f"{what} {self.action}"
        if self.old and self.new:
            text += f": {self.old} -> {self.new}"
        elif self.new:
            text += f": {self.new}"
        if self.failed:
            text += " (the call failed part-way: check it)"
        where = f"node {self.node_id}" + (f", round {self.round}" if self.round else "")
        return f"{text} ({where})"


def _names(items: Any) -> str:
    return ", ".join(getattr(item, "name", str(item)) for item in items)


def _describe_call(method: str, args: dict[str, Any], known: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """(kind, name, action, old, new) of a call that changes the case."""
    if method.startswith("create_roi_"):
        return "ROI", args["name"], "created or replaced", "", ""
    if method == "create_plan":
        setup = args["setup"]
        return "plan", setup.name, "created", "", f"beam set {setup.beam_set!r}, {setup.technique.value}"
    if method == "add_function":
        spec = args["spec"]
        return "function", spec.tag, "added", "", spec.describe()
    if method == "update_function":
        old = known.get(args["tag"])
        return "function", args["tag"], "changed", old.describe() if old else "", args["spec"].describe()
    simple = {
        "set_prescription": ("prescription", "set", lambda a: f"{a['prescription'].roi} "
                                                          f"{a['prescription'].dose_cgy:g} cGy"),
        "set_isocenter": ("isocenter", "set", lambda a: a.get("roi") or a.get("poi") or str(a.get("position_cm"))),
        "add_vmat_arcs": ("arcs", "added to the beam set", lambda a: _names(a["arcs"])),
        "add_proton_beams": ("proton beams", "added to the beam set", lambda a: _names(a["beams"])),
        "add_clinical_goals": ("clinical goals", "added", lambda a: f"{len(a['goals'])} listed"
                               + (f", template {a['template']!r}" if a.get("template") else "")),
        "set_robustness": ("robustness settings", "set", lambda a: ""),
        "set_beam_settings": ("beam settings", "set", lambda a: ""),
        "set_optimization_settings": ("optimization settings", "set", lambda a: ""),
        "run_optimization": ("dose", "optimized", lambda a: ""),
        "reset_optimization": ("optimization", "reset", lambda a: ""),
        "normalize_to_prescription": ("dose", "scaled to the prescription", lambda a: ""),
        "compute_final_dose": ("final dose", "computed", lambda a: getattr(a.get("algorithm"), "value", "")),
    }
    kind, action, new = simple[method]
    return kind, "", action, "", new(args)


@dataclass
class ChangeLedger:
    """The changes of one run in call order, and where the last save was."""

    changes: list[Change] = field(default_factory=list)
    saved: int = 0
    node: tuple[str, str, int | None] = ("", "", None)
    _known: dict[str, Any] = field(default_factory=dict)

    def unsaved(self) -> list[Change]:
        """Changes made after the last `save` of the patient."""
        return self.changes[self.saved:]

    def undo_steps(self) -> int:
        """RayStation undo steps that revert the unsaved changes: one per node (and round) that made any."""
        return len({(c.node_id, c.round) for c in self.unsaved()})

    def record(self, method: str, args: dict[str, Any], failed: bool) -> None:
        """Note a call of `method` with its bound arguments (the interpreter's proxy calls this)."""
        if method == "save":
            if not failed:
                self.saved = len(self.changes)
            return
        kind, name, action, old, new = _describe_call(method, args, self._known)
        node_id, node_type, round_number = self.node
        self.changes.append(Change(node_id, node_type, round_number, kind, name, action, old, new, failed))
        if method in ("add_function", "update_function") and not failed:
            self._known[args.get("tag") or args["spec"].tag] = args["spec"]

    def remember(self, method: str, result: Any) -> None:
        """Keep what a query told about functions, for the old value of a later change."""
        if method == "function_state" and result is not None and hasattr(result, "spec"):
            self._known[result.spec.tag] = result.spec

    def report(self, backend_name: str) -> dict[str, Any]:
        """What a failed or stopped run leaves unsaved, as event data: `unsaved` lines, `changes` records and,
        for RayStation, `undo_steps`."""
        unsaved = _merged(self.unsaved())
        data: dict[str, Any] = {"unsaved": [c.describe() for c in unsaved],
                                "changes": [asdict(c) for c in unsaved]}
        if backend_name.lower() == "raystation" and unsaved:
            data["undo_steps"] = self.undo_steps()
        return data


def _merged(changes: list[Change]) -> list[Change]:
    """One change per thing changed: a function tightened in five rounds is one change from its first old
    value to its last new one, by the nodes that changed it, at the round of the last change."""
    merged: dict[tuple[str, str], Change] = {}
    for change in changes:
        key = (change.kind, change.name or change.action)
        first = merged.get(key)
        if first is None:
            merged[key] = change
            continue
        nodes = first.node_id if change.node_id in first.node_id.split(", ") else f"{first.node_id}, {change.node_id}"
        merged[key] = replace(first, node_id=nodes, round=change.round, new=change.new or first.new,
                              failed=first.failed or change.failed)
    return list(merged.values())


def unsaved_summary(data: dict[str, Any]) -> list[str]:
    """Lines telling the planner what a failed or stopped run left in the case (from `ChangeLedger.report`)."""
    lines = data.get("unsaved") or []
    if not lines:
        return []
    head = f"{len(lines)} change(s) to the case not saved"
    steps = data.get("undo_steps")
    if steps:
        head += f"; {steps} undo step(s) in RayStation revert them"
    return [head + ":"] + [f"  {line}" for line in lines]


def bind_call(method: str, args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a protocol call by parameter name."""
    bound = inspect.signature(getattr(Backend, method)).bind(None, *args, **kwargs)
    return {name: value for name, value in bound.arguments.items() if name != "self"}


@dataclass
class Leftovers:
    """What an earlier failed or stopped run left unsaved in the case (read back from its output folder), so
    that a preflight refusing the next run can say which leftover blocks it."""

    status: str
    started: str
    changes: list[Change]
    undo_steps: int | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Leftovers:
        """From the `unsaved.json` a runner writes (see `ChangeLedger.report`)."""
        return cls(str(data.get("status", "failed")), str(data.get("started", "")),
                   [Change(**change) for change in data.get("changes", [])], data.get("undo_steps"))

    def explain(self, problems: list[Problem]) -> list[Problem]:
        """The problems, each naming the leftover that causes it and how to remove it."""
        explained = []
        for problem in problems:
            causes = [c for c in self.changes if c.name and c.kind in ("ROI", "plan")
                      and f"{c.name!r}" in problem.message]
            if causes:
                what = " and ".join(f"the {c.kind} {c.name!r}" for c in causes)
                undo = (f"undo the previous run ({self.undo_steps} undo step(s) in RayStation)"
                        if self.undo_steps else "undo or delete it")
                problem = replace(problem, message=f"{problem.message} ({what} left unsaved by the {self.status} "
                                                   f"run started {self.started}: {undo})")
            explained.append(problem)
        return explained
