"""Fixtures: the backend calls the legacy tool makes for a legacy file, worked out from the legacy page alone.

`legacy_calls` is an independent reading of "Execution order in the legacy tool" (the legacy format's reference
page, shared/reference/legacy_planning_flow.md) for the well-formed test files, used to check that an imported
flow calls the backend in exactly the legacy order. Dose answers come from `dose_answer`, the same function the
recording backend is scripted with.
"""

from __future__ import annotations

import operator
import re

import pytest

from planflow_qt.engine.recording import RecordingBackend

OPERATORS = {"≥": operator.ge, "≤": operator.le, ">": operator.gt, "=": operator.eq, "‹": operator.lt}
METRIC_CALLS = {"Max Dose": "dose_statistic", "Min Dose": "dose_statistic", "Max Dmean": "dose_statistic",
                "Min Dmean": "dose_statistic", "Max DaV": "dose_at_volume", "Min DaV": "dose_at_volume",
                "Max VaD": "volume_at_dose", "Min VaD": "volume_at_dose"}
ANSWERS = (0.0, 3.0, 20.0, 600.0, 4400.0, 5300.0, 99999.0)


def dose_answer(round: int, roi: str, **_) -> float:
    """A dose or volume that changes with the round and the ROI, so conditions hold in some rounds only."""
    return ANSWERS[(round + sum(map(ord, roi))) % len(ANSWERS)]


def recording_backend(data: dict) -> RecordingBackend:
    """A recording backend whose case has every ROI the file names, answering DVH queries with `dose_answer`."""
    names = {m["roi_name"] for m in data.get("match_roi") or []}
    for f in data.get("initial_functions") or []:
        names.add(f["roi"])
    for c in data.get("check_conditions") or []:
        names.add(c["roi"])
    names.add((data.get("prescription") or {}).get("prescription_roi", ""))
    names.add((data.get("isocenter") or {}).get("roi_name", ""))
    for a in data.get("automate_roi") or []:
        config = a.get("boolean_config") or {}
        names |= {config.get("roi_a", {}).get("name", ""), config.get("roi_b", {}).get("name", "")}
    created = {a["roi_name"] for a in (data.get("automate_roi") or []) + (data.get("condition_rois") or [])}
    case = {n for n in names - created if n and n != "N/A"}
    answers = {f"{kind}:{roi}": dose_answer for kind in set(METRIC_CALLS.values()) for roi in case | created}
    return RecordingBackend(rois=sorted(case), answers=answers)


def _active(text: str, round_number: int) -> bool:
    match = re.fullmatch(r"\s*(≥|≤|>|=|‹)\s*(\d+)\s*", text)
    return OPERATORS[match.group(1)](round_number, int(match.group(2)))


def _holds(condition: dict, round_number: int) -> bool:
    """Whether an active condition holds: the answer compared with the number after the operator."""
    if condition["type"] == "Alway TRUE":
        return True
    match = re.search(r"(≥|≤|>|=|‹)\s*([\d.]+)", condition["criteria"])
    value = dose_answer(round=round_number, roi=condition["roi"])
    return OPERATORS[match.group(1)](value, float(match.group(2)))


def legacy_calls(data: dict) -> list[str]:
    """Backend method names, in the legacy order, for a well-formed legacy file."""
    calls = ["create_plan"]
    rx = data.get("prescription") or {}
    if rx.get("primary_dose") and rx.get("prescription_roi"):
        calls.append("set_prescription")
    if data.get("isocenter"):
        calls.append("set_isocenter")
    impt = data.get("technique") == "IMPT"
    if data.get("impt_beam" if impt else "vmat_beam"):
        calls.append("add_proton_beams" if impt else "add_vmat_arcs")
    calls += ["create_roi_algebra" for a in data.get("automate_roi") or [] if a.get("boolean_config")]
    if (data.get("clinical_goal") or {}).get("clinical_goal_template"):
        calls.append("add_clinical_goals")
    tags = {f["tag"] for f in data.get("initial_functions") or []}
    calls += ["add_function"] * len(data.get("initial_functions") or [])
    if data.get("robust_settings"):
        calls.append("set_robustness")
    if data.get("optimization_settings") or data.get("final_calculation"):
        calls.append("set_optimization_settings")
    calls.append("run_optimization")
    rounds = int(float((data.get("end_flow") or {}).get("max_optimize_rounds") or 0))
    for r in range(1, rounds + 1):
        holds = {}
        for condition in data.get("check_conditions") or []:
            active = _active(condition["active_round"], r)
            if active and condition["type"] != "Alway TRUE":
                calls.append(METRIC_CALLS[condition["type"]])
            holds[condition["name"]] = active and _holds(condition, r)
        for croi in sorted(data.get("condition_rois") or [], key=lambda c: float(c["order"])):
            if holds.get(croi["condition"]):
                calls.append("create_roi_from_dose" if croi["method"] == "Convert Dose to ROI"
                             else "create_roi_algebra")
        for adjustment in data.get("function_adjustments") or []:
            if holds.get(adjustment["condition"]):
                calls.append("update_function" if adjustment["tag"] in tags else "add_function")
                tags.add(adjustment["tag"])
        calls += ["run_optimization", "save"]
    return calls


@pytest.fixture
def legacy_order():
    """`legacy_order(data)`: the backend method names the legacy tool calls for a well-formed file."""
    return legacy_calls


@pytest.fixture
def legacy_backend():
    """`legacy_backend(data)`: a recording backend with the file's ROIs, answering DVH queries by round."""
    return recording_backend
