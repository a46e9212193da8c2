"""What a run measured: per-round snapshots of DVHs, metrics and clinical goals, and the final summary.

`RunRecorder` is an observer: at the end of every round (and of the run) it asks the backend for the
DVH of each ROI of interest and the clinical goals, through the Backend protocol only, so it works for
every backend.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from planflow_qt.backends.base import Backend
from planflow_qt.catalog.registry import default_registry, plays
from planflow_qt.catalog.spec import Role
from planflow_qt.engine.events import EventKind, RunEvent
from planflow_qt.model.planning import DoseStatistic

log = logging.getLogger(__name__)

DVH_STEP_CGY = 10.0


@dataclass
class GoalRow:
    """A clinical goal and how it stood."""

    roi: str
    text: str
    value: float
    met: bool


@dataclass
class Snapshot:
    """The plan at one moment: after a round, or at the end of the run."""

    label: str
    round: int | None
    dvh: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    stats: dict[str, dict[str, float]] = field(default_factory=dict)
    goals: list[GoalRow] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class FunctionRow:
    """An optimization function as it stood: tag, description, feedback value and achieved level."""

    tag: str
    roi: str
    type: str
    text: str
    value: float | None
    achieved: float | None


def function_rows(backend: Backend) -> list[FunctionRow]:
    """Every optimization function of the plan with its value and achieved level now."""
    try:
        states = [(tag, backend.function_state(tag)) for tag in backend.function_tags()]
    except Exception as exc:  # no plan or no functions: nothing to show
        log.info("no function values: %s", exc)
        return []
    return [FunctionRow(tag, s.spec.roi, s.spec.type.value, s.spec.describe(), s.value, s.achieved)
            for tag, s in states]


def goal_text(goal) -> str:
    """A clinical goal as a planner writes it, e.g. `V3000cGy <= 18 %`, `Dmean <= 1250 cGy`."""
    sign = ">=" if goal.criterion.value == "AtLeast" else "<="
    kind = goal.type.value
    if kind == "VolumeAtDose":
        return f"V{goal.parameter:g}cGy {sign} {goal.level:g} %"
    if kind == "AbsoluteVolumeAtDose":
        return f"V{goal.parameter:g}cGy {sign} {goal.level:g} cc"
    if kind == "DoseAtVolume":
        return f"D{goal.parameter:g}% {sign} {goal.level:g} cGy"
    if kind == "DoseAtAbsoluteVolume":
        return f"D{goal.parameter:g}cc {sign} {goal.level:g} cGy"
    return f"Dmean {sign} {goal.level:g} cGy"


def roi_statistics(backend: Backend, roi: str) -> dict[str, float]:
    """Volume, mean, min, max and D0.03cc of one ROI on the current dose."""
    return {
        "volume_cc": backend.roi_volume_cc(roi),
        "mean_cgy": backend.dose_statistic(roi, DoseStatistic.MEAN),
        "min_cgy": backend.dose_statistic(roi, DoseStatistic.MIN),
        "max_cgy": backend.dose_statistic(roi, DoseStatistic.MAX),
        "d0_03cc_cgy": backend.dose_at_volume(roi, volume_cc=0.03),
    }


def take_snapshot(backend: Backend, rois: list[str], label: str, round_number: int | None,
                  metrics: dict[str, float] | None = None) -> Snapshot:
    """Measure every ROI in `rois` and the clinical goals now."""
    snap = Snapshot(label, round_number, metrics=dict(metrics or {}))
    for roi in rois:
        try:
            snap.dvh[roi] = [(float(d), float(v)) for d, v in backend.dvh(roi, DVH_STEP_CGY)]
            snap.stats[roi] = roi_statistics(backend, roi)
        except Exception as exc:  # a missing ROI must not lose the rest of the report
            log.warning("no dose statistics for %s: %s", roi, exc)
    try:
        snap.goals = [GoalRow(r.goal.roi, goal_text(r.goal), float(r.value), bool(r.met))
                      for r in backend.evaluate_goals()]
    except Exception as exc:
        log.warning("clinical goals could not be evaluated: %s", exc)
    return snap


class RunRecorder:
    """Observer that keeps the events of a run and snapshots the plan after each round and at the end."""

    def __init__(self, backend: Backend, rois: list[str] | None = None):
        self._registry = default_registry()
        self.backend = backend
        self.rois = rois
        self.events: list[RunEvent] = []
        self.snapshots: list[Snapshot] = []
        self._metrics: dict[int, dict[str, float]] = {}
        self._has_dose = False
        self._iterations = 0
        self.optimization_iterations = 0
        """The run's optimization budget: each optimization's maximum iterations, summed."""
        self.functions: dict[int, list[FunctionRow]] = {}
        """The optimization functions after each round's last optimization, by round."""

    def _rois(self) -> list[str]:
        return self.rois if self.rois is not None else self.backend.roi_names()

    def _plays(self, event: RunEvent, role: Role) -> bool:
        return plays(self._registry, event.node_type, role)

    def __call__(self, event: RunEvent) -> None:
        self.events.append(event)
        if event.kind is EventKind.METRIC:
            self._metrics.setdefault(event.round or 0, {})[event.data["name"]] = event.data["value"]
        elif (event.kind is EventKind.LOG and self._plays(event, Role.OPTIMIZATION_SETTINGS)
              and "iterations" in event.data):
            self._iterations = int(event.data["iterations"])
        elif event.kind is EventKind.NODE_FINISHED and self._plays(event, Role.MAKES_DOSE):
            self._has_dose = True
            if self._plays(event, Role.OPTIMIZES):
                self.optimization_iterations += self._iterations
            if event.round is not None:
                self.functions[event.round] = function_rows(self.backend)
        elif event.kind is EventKind.ROUND_FINISHED and self._has_dose:
            self.snapshots.append(take_snapshot(self.backend, self._rois(), f"round {event.round}", event.round,
                                                self._metrics.get(event.round or 0)))
        elif event.kind is EventKind.RUN_FINISHED and self._has_dose:
            self.snapshots.append(take_snapshot(self.backend, self._rois(), "final", None, self._metrics.get(0)))

    @property
    def final(self) -> Snapshot | None:
        """The last snapshot (the final plan, or the last round of a failed run)."""
        return self.snapshots[-1] if self.snapshots else None


def summary(recorder: RunRecorder, status: str, rounds: int, elapsed_s: float) -> dict[str, Any]:
    """The `summary.json` content: status, rounds, time, and per ROI its statistics and DVH."""
    final = recorder.final
    rois = {}
    if final is not None:
        for roi, stats in final.stats.items():
            rois[roi] = {**{k: round(v, 3) for k, v in stats.items()},
                         "dvh": [[round(d, 2), round(v, 4)] for d, v in final.dvh.get(roi, [])]}
    return {"status": status, "rounds": rounds, "elapsed_s": round(elapsed_s, 3),
            "optimization_iterations": recorder.optimization_iterations, "rois": rois,
            "goals": [vars(g) for g in final.goals] if final else [],
            "metrics": {snap.label: snap.metrics for snap in recorder.snapshots}}
