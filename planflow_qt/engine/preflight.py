"""Preflight: checks of a valid flow against the case before anything is changed."""

from __future__ import annotations

from dataclasses import dataclass

from planflow_qt.backends.base import Backend
from planflow_qt.catalog.spec import Role
from planflow_qt.engine.requirements import needed_from_the_open_plan
from planflow_qt.engine.validation import Analysis, Problem
from planflow_qt.model.roi_matching import match_roi_name


@dataclass(frozen=True)
class RoiMatch:
    """One flow ROI and the case ROI it matched (None: missing)."""

    node_id: str
    flow_name: str
    aliases: tuple[str, ...]
    case_name: str | None
    required: bool


def roi_matches(analysis: Analysis, case_names: list[str]) -> list[RoiMatch]:
    """How each case ROI the flow names (switched-on nodes) matches the case's ROIs, by name or alias."""
    matches = []
    for node in analysis.flow.nodes:
        if node.disabled or node.id not in analysis.params or not analysis.types[node.id].spec.has(Role.CASE_ROI):
            continue
        params = analysis.params[node.id]
        found = match_roi_name(params.name, params.aliases, case_names)
        matches.append(RoiMatch(node.id, params.name, tuple(params.aliases), found, params.required))
    return matches


def preflight(analysis: Analysis, backend: Backend) -> list[Problem]:
    """Required ROIs matched in the case, names of ROIs the flow creates still free, the backend's own
    checks (`preflight_problems(analysis)` -> (node id, field, message), where it has them) and the backend
    able to do what the flow asks (robustness scenario evaluation, DICOM export)."""
    case_names = backend.roi_names()
    types = {node.id: node.type for node in analysis.flow.nodes}
    problems = [Problem(m.node_id, types[m.node_id], "params.name",
                        f"required ROI {m.flow_name!r} is not in the case (aliases: {', '.join(m.aliases) or 'none'}; "
                        f"case ROIs: {', '.join(sorted(case_names)[:30])}): add an alias or the ROI")
                for m in roi_matches(analysis, case_names) if m.case_name is None and m.required]
    for node in analysis.flow.nodes:
        if node.disabled or node.id not in analysis.params:
            continue
        created = analysis.types[node.id].created_roi(analysis.params[node.id])
        if created is not None and created in case_names:
            problems.append(Problem(node.id, node.type, "params.name",
                                    f"the case already has an ROI {created!r}: the flow would overwrite it; "
                                    "rename the created ROI or delete the case's one"))
    problems += open_plan_problems(analysis, backend)
    own = getattr(backend, "preflight_problems", None)
    if own is not None:
        problems += [Problem(node_id, types.get(node_id, ""), field, message)
                     for node_id, field, message in own(analysis)]
    return problems + capability_problems(analysis, backend)


def open_plan_problems(analysis: Analysis, backend: Backend) -> list[Problem]:
    """Nodes that need what the open plan should give ("Current plan") and it does not have, where the backend
    can tell (`open_plan_states()`)."""
    has = getattr(backend, "open_plan_states", None)
    needed = needed_from_the_open_plan(analysis.flow, analysis.graph, analysis.order, analysis.types,
                                       analysis.params) if has is not None else {}
    if not needed:
        return []
    present = has()
    types = {node.id: node.type for node in analysis.flow.nodes}
    return [Problem(node_id, types[node_id], "inputs.plan",
                    f"needs {state.value} from the open plan, which has none on {backend.name}: add it to the plan, "
                    "or place a node giving it upstream")
            for state, node_ids in needed.items() if state not in present for node_id in node_ids]


def capability_problems(analysis: Analysis, backend: Backend) -> list[Problem]:
    """Nodes asking for what this backend cannot do (as the node types declare: robustness scenario
    evaluation, DICOM export)."""
    problems = []
    for node in analysis.flow.nodes:
        if node.disabled or node.id not in analysis.params:
            continue
        for need in analysis.types[node.id].backend_needs(analysis.params[node.id]):
            if not getattr(backend, need.capability, True):
                problems.append(Problem(node.id, node.type, need.field,
                                        f"{need.what} is not available on {backend.name}: {need.instead}"))
    return problems
