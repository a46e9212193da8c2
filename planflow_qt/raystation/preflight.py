"""The preflight of a run in RayStation: how flow ROIs match the case, and what would clash.

Reads the case only. Problems: a required ROI that no case ROI matches, an ROI the flow creates that the
case already has, a new plan whose name is taken, a machine that is not commissioned (the backend's own
`preflight_problems` adds what the engine's preflight asks of it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planflow_qt.backends.raystation.backend import RayStationBackend
from planflow_qt.backends.raystation.binding import machine_names
from planflow_qt.catalog.spec import Role
from planflow_qt.engine.preflight import capability_problems
from planflow_qt.engine.validation import Analysis, Problem
from planflow_qt.model.roi_matching import match_roi_name


@dataclass(frozen=True)
class RoiMatch:
    """One flow ROI and the case ROI it matched (None: missing)."""

    node_id: str
    flow_name: str
    case_name: str | None
    required: bool


@dataclass
class CaseCheck:
    """The matching table and the problems that refuse the run."""

    matches: list[RoiMatch] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def table(self) -> list[tuple[str, str, str]]:
        """Rows (flow ROI, case ROI or MISSING, required / optional)."""
        return [(m.flow_name, m.case_name or "MISSING", "required" if m.required else "optional")
                for m in self.matches]


def check_case(analysis: Analysis, backend: RayStationBackend) -> CaseCheck:
    """Match the flow's ROIs to the case and look for clashes, without changing anything."""
    check = CaseCheck()
    contoured = backend.roi_names()
    existing = [roi.Name for roi in backend.case.PatientModel.RegionsOfInterest]
    plans = [plan.Name for plan in backend.case.TreatmentPlans]
    machines = machine_names(backend.scripting)
    for node in analysis.flow.nodes:
        if node.disabled or node.id not in analysis.params:
            continue
        params, node_type = analysis.params[node.id], analysis.types[node.id]
        if node_type.spec.has(Role.CASE_ROI):
            found = match_roi_name(params.name, params.aliases, contoured)
            check.matches.append(RoiMatch(node.id, params.name, found, params.required))
            if found is None and params.required:
                check.problems.append(Problem(node.id, node.type, "params.name", (
                    f"required ROI {params.name!r} is not in the case (aliases: {', '.join(params.aliases) or 'none'})"
                    ": add an alias or contour the ROI")))
        created = node_type.created_roi(params)
        if created is not None and created in existing:
            check.problems.append(Problem(node.id, node.type, "params.name", (
                f"the case already has an ROI {created!r}: the flow would overwrite it; rename the flow's ROI "
                "or delete the case's one")))
        if node_type.spec.has(Role.NEW_PLAN):
            if params.name in plans:
                check.problems.append(Problem(node.id, node.type, "params.name", (
                    f"the case already has a plan {params.name!r}: rename the new plan")))
            if machines is not None and params.machine not in machines:
                check.problems.append(Problem(node.id, node.type, "params.machine", (
                    f"no commissioned machine {params.machine!r}; machines: {', '.join(machines)}")))
    check.problems.extend(capability_problems(analysis, backend))
    return check

