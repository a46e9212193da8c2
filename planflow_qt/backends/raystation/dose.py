"""Dose queries on the plan's total dose, and clinical goal evaluation, in RayStation's terms.

DVH query volumes are fractions 0-1 (percent / 100, or cc / `GetRoiVolume()`); doses cGy.
"""

from __future__ import annotations

import logging
from typing import Any

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation import goals
from planflow_qt.backends.raystation.adapters import GOAL_LEVEL
from planflow_qt.backends.raystation.session import Session
from planflow_qt.model.planning import DoseStatistic, GoalResult, GoalType

log = logging.getLogger(__name__)

TOTAL_DOSE = "plan.TreatmentCourse.TotalDose"


class DoseQueries(Session):
    """ROI volumes, DVH metrics, DVH curves and clinical goals of the current plan."""

    def roi_volume_cc(self, roi: str) -> float:
        """Volume of an ROI (cc), by GetRoiVolume."""
        return float(self.call(f"structure_set.RoiGeometries[{roi!r}]", self.geometry(roi), "GetRoiVolume"))

    def dose_at_volume(self, roi: str, volume_percent: float | None = None, volume_cc: float | None = None) -> float:
        """GetDoseAtRelativeVolumes at a fraction: percent / 100, or cc / GetRoiVolume()."""
        if (volume_percent is None) == (volume_cc is None):
            raise BackendError("give exactly one of volume_percent or volume_cc")
        if volume_cc is not None:
            fraction = float(volume_cc) / self.roi_volume_cc(roi)
        else:
            fraction = float(volume_percent) / 100.0
        doses = self.call(TOTAL_DOSE, self.total_dose(), "GetDoseAtRelativeVolumes", RoiName=roi,
                          RelativeVolumes=[min(max(fraction, 0.0), 1.0)])
        return float(doses[0])

    def volume_at_dose(self, roi: str, dose_cgy: float, absolute: bool = False) -> float:
        """GetRelativeVolumeAtDoseValues: percent, or cc (fraction x GetRoiVolume())."""
        volumes = self.call(TOTAL_DOSE, self.total_dose(), "GetRelativeVolumeAtDoseValues", RoiName=roi,
                            DoseValues=[float(dose_cgy)])
        fraction = float(volumes[0])
        return fraction * self.roi_volume_cc(roi) if absolute else 100.0 * fraction

    def dose_statistic(self, roi: str, statistic: DoseStatistic) -> float:
        """GetDoseStatistic: Average, Min or Max (cGy)."""
        return float(self.call(TOTAL_DOSE, self.total_dose(), "GetDoseStatistic", RoiName=roi,
                               DoseType=statistic.value))

    def dvh(self, roi: str, step_cgy: float = 10.0) -> list[tuple[float, float]]:
        """Cumulative DVH (cGy, %) every `step_cgy` up to the maximum dose, by GetRelativeVolumeAtDoseValues."""
        if step_cgy <= 0:
            raise BackendError("the DVH step must be positive")
        top = self.dose_statistic(roi, DoseStatistic.MAX)
        levels = [i * float(step_cgy) for i in range(int(top // step_cgy) + 2)]
        volumes = self.call(TOTAL_DOSE, self.total_dose(), "GetRelativeVolumeAtDoseValues", RoiName=roi,
                            DoseValues=levels)
        return [(d, 100.0 * float(v)) for d, v in zip(levels, volumes, strict=True)]

    def _evaluation(self) -> Any:
        return self.plan.TreatmentCourse.EvaluationSetup

    def evaluate_goals(self) -> list[GoalResult]:
        """Every clinical goal of the plan (GetClinicalGoalValue, EvaluateClinicalGoal), in the planner's units."""
        results = []
        for i, function in enumerate(self._evaluation().EvaluationFunctions):
            planning = function.PlanningGoal
            goal = goals.from_raystation(function.ForRegionOfInterest.Name, planning.GoalCriteria, planning.Type,
                                         float(self.adapters.attribute(GOAL_LEVEL, planning)),
                                         float(planning.ParameterValue or 0.0), int(planning.Priority))
            if goal is None:
                log.info("clinical goal %d (%s) is not evaluated by PlanFlow", i, planning.Type)
                continue
            label = f"plan.TreatmentCourse.EvaluationSetup.EvaluationFunctions[{i}]"
            value = float(self.call(label, function, "GetClinicalGoalValue"))
            met = bool(self.call(label, function, "EvaluateClinicalGoal"))
            results.append(GoalResult(goal=goal, value=goals.value_from_raystation(GoalType(goal.type), value),
                                      met=met))
        return results
