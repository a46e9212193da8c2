"""A study's verdict in one sentence: which organ doses differ significantly, and at what target cost (hot
spot D0.03cc, coverage D98, conformity), so that organ gains are never reported without their price."""

from __future__ import annotations

from planflow_qt.report.compare import is_target
from planflow_qt.study.stats import Comparison

SIGNIFICANCE = 0.05


def _direction(metric: str) -> tuple[str, bool] | None:
    """("lower" | "higher" is better, is a target metric) for the metrics the verdict counts, else None."""
    roi = metric.split(" ")[0]
    if "CI" in metric.split():
        return "higher", True
    if is_target(roi):
        if metric.endswith("D0.03cc (cGy)"):
            return "lower", True
        if metric.endswith("D98 (cGy)"):
            return "higher", True
        return None
    if metric.endswith(" mean (cGy)"):
        return "lower", False
    return None


def study_verdict(name_a: str, name_b: str, rows: list[Comparison]) -> str:
    """Organ means significantly lower / higher with A (two-sided Wilcoxon p < 0.05), target metrics
    significantly worse / better, and the overall reading."""
    gains, losses, costs, target_gains = [], [], [], []
    for row in rows:
        kind = _direction(row.metric)
        if kind is None or row.p_value is None or row.p_value >= SIGNIFICANCE:
            continue
        better, target = kind
        good = (row.difference < 0) == (better == "lower")
        label = f"{row.metric} {row.difference:+.3g}"
        if target:
            (target_gains if good else costs).append(label)
        else:
            (gains if good else losses).append(label)
    if len(gains) > len(losses):
        overall = f"{name_a} spares organs at a cost to the target" if costs else f"{name_a} is better"
    elif len(losses) > len(gains):
        overall = f"{name_a} is worse"
    else:
        overall = "no significant advantage"
    return (f"{name_a} vs {name_b}: organ means significantly lower: {', '.join(gains) or 'none'}; higher: "
            f"{', '.join(losses) or 'none'}; target costs: {', '.join(costs) or 'none'}; target gains: "
            f"{', '.join(target_gains) or 'none'} (p < {SIGNIFICANCE:g}). Verdict: {overall}.")
