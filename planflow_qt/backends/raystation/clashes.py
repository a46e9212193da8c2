"""What the case open in RayStation already has that a flow would clash with: a plan of the new plan's name,
an uncontoured ROI of a created ROI's name, a machine that is not commissioned."""

from __future__ import annotations

import logging
from typing import Any

from planflow_qt.backends.raystation.api import Scripting
from planflow_qt.catalog.spec import Role

log = logging.getLogger(__name__)


def case_clashes(backend: Any, analysis: Any) -> list[tuple[str, str, str]]:
    """(node id, field, message) of each clash, reading the case only."""
    existing = {roi.Name for roi in backend.case.PatientModel.RegionsOfInterest} - set(backend.roi_names())
    plans = [plan.Name for plan in backend.case.TreatmentPlans]
    machines = machine_names(backend.scripting)
    problems = []
    for node in analysis.flow.nodes:
        if node.disabled or node.id not in analysis.params:
            continue
        params, node_type = analysis.params[node.id], analysis.types[node.id]
        if node_type.created_roi(params) in existing:
            problems.append((node.id, "params.name", f"the case already has an ROI {params.name!r} (without "
                             "contours): the flow would overwrite it; rename the flow's ROI or delete the case's one"))
        if node_type.spec.has(Role.NEW_PLAN):
            if params.name in plans:
                problems.append((node.id, "params.name", f"the case already has a plan {params.name!r}: rename "
                                 "the new plan"))
            if machines is not None and params.machine not in machines:
                problems.append((node.id, "params.machine", f"no commissioned machine {params.machine!r}; "
                                 f"machines: {', '.join(machines)}"))
    return problems


def machine_names(scripting: Scripting) -> list[str] | None:
    """Commissioned, non-deprecated machines (`MachineDB.QueryCommissionedMachineInfo`); None if unknown.

    This call is not on PlanFlow's API reference page: when it fails, machines are simply not checked.
    """
    db = scripting.current("MachineDB")
    try:
        machines = db.QueryCommissionedMachineInfo(Filter={}) if db is not None else None
    except Exception as exc:
        log.info("machines could not be listed (%s): machine names are not checked", exc)
        return None
    if machines is None:
        return None
    return [str(m["Name"]) for m in machines if not m.get("IsDeprecated", False)]
