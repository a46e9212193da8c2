"""Comparing a run with baselines (the shipped baseline flow, and its iteration-matched control): organ
doses, the target's costs (hot spot D0.03cc, coverage D98, conformity) and clinical goals side by side,
with a verdict that counts target costs as well as organ gains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import numpy as np

from planflow_qt.report.snapshots import Snapshot

TARGET_WORDS = ("PTV", "CTV", "GTV", "ITV")
ORGAN_TOLERANCE = 0.01
"""Organ doses closer than 1 % (and 5 cGy) count as equal in the verdict."""
TARGET_TOLERANCE_CGY = 10.0
"""Target doses closer than 10 cGy count as equal in the verdict."""
CI_TOLERANCE = 0.005
"""Conformity indices closer than this count as equal in the verdict."""


def is_target(roi: str) -> bool:
    """Whether an ROI name is a target's: it starts with PTV, CTV, GTV or ITV (`PTV_60`, not `Lung-PTV`)."""
    return roi.upper().startswith(TARGET_WORDS)


@dataclass(frozen=True)
class Row:
    """A compared metric: `better` is "lower", "higher" or "" (neither); `target` rows are target costs."""

    label: str
    read: Callable[[list[Snapshot]], float | None]
    better: str
    target: bool

    def judge(self, value: float, base: float) -> int:
        """+1 when `value` is better than `base` beyond the tolerance, -1 when worse, 0 otherwise."""
        diff = value - base
        if not self.better:
            return 0
        if "CI" in self.label:
            tolerance = CI_TOLERANCE
        elif self.target:
            tolerance = TARGET_TOLERANCE_CGY
        else:
            tolerance = max(5.0, ORGAN_TOLERANCE * abs(base))
        if abs(diff) <= tolerance:
            return 0
        return 1 if (diff < 0) == (self.better == "lower") else -1


def _stat(roi: str, key: str) -> Callable[[list[Snapshot]], float | None]:
    return lambda snaps: snaps[-1].stats.get(roi, {}).get(key) if snaps else None


def dose_at_percent(curve: list[tuple[float, float]], percent: float) -> float | None:
    """The dose received by `percent` of an ROI, read from its cumulative DVH (dose, volume %) points."""
    if not curve:
        return None
    doses, volumes = np.array(curve, dtype=float).T
    return float(np.interp(percent, volumes[::-1], doses[::-1]))


def _d98(roi: str) -> Callable[[list[Snapshot]], float | None]:
    return lambda snaps: dose_at_percent(snaps[-1].dvh.get(roi, []), 98.0) if snaps else None


def _recorded(name: str) -> Callable[[list[Snapshot]], float | None]:
    """The metric as last recorded (the final plan, or the last round that recorded it)."""
    return lambda snaps: next((s.metrics[name] for s in reversed(snaps) if name in s.metrics), None)


def comparison_rows(rois: list[str], snapshots: list[Snapshot]) -> list[Row]:
    """Targets: D0.03cc (lower is better), D98 (higher), recorded conformity indices (higher), mean (neither);
    every other ROI: mean and D0.03cc (lower is better)."""
    rows = []
    final = snapshots[-1].stats if snapshots else {}
    hottest = max((final[r]["d0_03cc_cgy"] for r in rois if is_target(r) and r in final), default=None)
    for roi in rois:
        if is_target(roi):
            rows += [Row(f"{roi} D0.03cc (cGy)", _stat(roi, "d0_03cc_cgy"), "lower", True),
                     Row(f"{roi} D98 (cGy)", _d98(roi), "higher", True),
                     Row(f"{roi} Dmean (cGy)", _stat(roi, "mean_cgy"), "", True)]
            continue
        rows.append(Row(f"{roi} Dmean (cGy)", _stat(roi, "mean_cgy"), "lower", False))
        # An ROI overlapping the target (the body, lungs holding the PTV) has the target's hot spot as its
        # D0.03cc: that is a target cost, shown but not counted again as an organ's.
        near_max = final.get(roi, {}).get("d0_03cc_cgy")
        overlaps = hottest is not None and near_max is not None and near_max >= hottest - 1.0
        rows.append(Row(f"{roi} D0.03cc (cGy)", _stat(roi, "d0_03cc_cgy"), "" if overlaps else "lower", False))
    names = dict.fromkeys(n for s in snapshots for n in s.metrics)
    rows += [Row(n, _recorded(n), "higher", True) for n in names if "CI" in n.split()]
    return rows


def verdict(name: str, baseline: str, judged: list[tuple[Row, float, float]]) -> str:
    """One sentence: organ metrics better and worse, target costs, and what that adds up to."""
    gains = [r.label for r, a, b in judged if not r.target and r.judge(a, b) > 0]
    losses = [r.label for r, a, b in judged if not r.target and r.judge(a, b) < 0]
    costs = [f"{r.label} {a - b:+.3g}" for r, a, b in judged if r.target and r.judge(a, b) < 0]
    target_gains = [r.label for r, a, b in judged if r.target and r.judge(a, b) > 0]
    if len(gains) > len(losses) and not costs:
        overall = f"{name} is better"
    elif len(gains) > len(losses):
        overall = f"{name} spares organs at a cost to the target"
    elif len(gains) < len(losses) or (costs and not gains):
        overall = f"{name} is not better"
    else:
        overall = "no clear difference"
    organs = sum(1 for r, _, _ in judged if not r.target and r.better)
    return (f"Against {baseline}: organ doses better in {len(gains)} and worse in {len(losses)} of {organs}; "
            f"target costs: {', '.join(costs) or 'none'}; target gains: {', '.join(target_gains) or 'none'}. "
            f"Verdict: {overall}.")


def comparison_html(name: str, snapshots: list[Snapshot], rois: list[str],
                    baselines: list[tuple[str, list[Snapshot]]]) -> str:
    """The table of the run beside each baseline (value and difference), the goals, and one verdict per
    baseline."""
    if not snapshots or any(not snaps for _, snaps in baselines):
        return "<p>Nothing to compare: a run computed no dose.</p>"
    rows = comparison_rows(rois, snapshots)
    head = f"<th>metric</th><th>{escape(name)}</th>" + "".join(
        f"<th>{escape(b)}</th><th>difference</th>" for b, _ in baselines)
    body, judged = [], {b: [] for b, _ in baselines}
    for row in rows:
        value = row.read(snapshots)
        bases = [row.read(snaps) for _, snaps in baselines]
        if value is None or any(v is None for v in bases):
            continue
        cells = []
        for (b, _), base in zip(baselines, bases, strict=True):
            judged[b].append((row, value, base))
            klass = {1: "better", -1: "worse", 0: ""}[row.judge(value, base)]
            cells.append(f"<td class='num'>{base:.4g}</td><td class='num {klass}'>{value - base:+.4g}</td>")
        kind = " (target)" if row.target and row.better else ""
        body.append(f"<tr><td>{escape(row.label)}{kind}</td><td class='num'>{value:.4g}</td>{''.join(cells)}</tr>")
    final = snapshots[-1]
    for i, goal in enumerate(final.goals):
        cells = []
        for _, snaps in baselines:
            other = snaps[-1].goals[i] if i < len(snaps[-1].goals) else None
            cells.append("<td>-</td><td>-</td>" if other is None else
                         f"<td class='num {'pass' if other.met else 'fail'}'>{other.value:.4g}</td>"
                         f"<td class='num'>{goal.value - other.value:+.4g}</td>")
        body.append(f"<tr><td>{escape(goal.roi)} {escape(goal.text)}</td>"
                    f"<td class='num {'pass' if goal.met else 'fail'}'>{goal.value:.4g}</td>{''.join(cells)}</tr>")
    verdicts = "".join(f"<li>{escape(verdict(name, b, judged[b]))}</li>" for b, _ in baselines)
    return f"<table><tr>{head}</tr>{''.join(body)}</table><ul>{verdicts}</ul>"
