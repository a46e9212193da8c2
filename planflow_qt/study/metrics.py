"""The numbers a study compares, taken from a run summary: clinical goals, recorded metrics, doses, run."""

from __future__ import annotations

import math
from typing import Any

from planflow_qt.report.compare import dose_at_percent, is_target

GROUPS = ("goal", "recorded", "dose", "run")


def final_recorded(summary: dict[str, Any]) -> dict[str, float]:
    """The metrics of the last snapshot that recorded any (the last round when the final plan recorded none)."""
    for metrics in reversed(list(summary.get("metrics", {}).values())):
        if metrics:
            return metrics
    return {}


def patient_metrics(summary: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per group, {metric name: value}: each goal's value (the ROI and goal text as the name), the recorded
    metrics of the final snapshot, each ROI's mean and D0.03cc (and a target's D98), and the run time and
    rounds."""
    goals = {f"{g['roi']} {g['text']}": float(g["value"]) for g in summary.get("goals", [])}
    doses: dict[str, float] = {}
    for roi, stats in summary.get("rois", {}).items():
        doses[f"{roi} mean (cGy)"] = float(stats["mean_cgy"])
        doses[f"{roi} D0.03cc (cGy)"] = float(stats["d0_03cc_cgy"])
        if is_target(roi) and stats.get("dvh"):
            doses[f"{roi} D98 (cGy)"] = dose_at_percent(stats["dvh"], 98.0)
    run = {"run time (s)": float(summary.get("elapsed_s", math.nan)), "rounds": float(summary.get("rounds", 0))}
    recorded = {name: float(value) for name, value in final_recorded(summary).items()}
    return {"goal": goals, "recorded": recorded, "dose": doses, "run": run}


def flat(grouped: dict[str, dict[str, float]]) -> dict[str, float]:
    """One {name: value} in group order; a name already taken by an earlier group is kept from that group."""
    out: dict[str, float] = {}
    for group in GROUPS:
        for name, value in grouped.get(group, {}).items():
            out.setdefault(name, value)
    return out
