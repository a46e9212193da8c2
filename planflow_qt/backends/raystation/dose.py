"""Dose queries on the plan's total dose (or a robustness scenario's dose), and clinical goal evaluation,
in RayStation's terms.

DVH query volumes are fractions 0-1 (percent / 100, or cc / `GetRoiVolume()`); doses cGy. A scenario dose is
a fraction dose (`DiscreteFractionDoseScenarios`): its doses are multiplied by the beam set's number of
fractions, dose levels divided by it, and goals read with `ScaleFractionDoseToBeamSet=True`.
"""

from __future__ import annotations

import logging
from typing import Any

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation import goals
from planflow_qt.backends.raystation.session import Session
from planflow_qt.model.planning import DoseStatistic, GoalResult, GoalType

log = logging.getLogger(__name__)

TOTAL_DOSE = "plan.TreatmentCourse.TotalDose"


class DoseQueries(Session):
    """ROI volumes, DVH metrics, DVH curves and clinical goals of the current plan.

    `_evaluation_dose` is None for the total dose, or (label, fraction dose) of the scenario being read.
    """

    _evaluation_dose: tuple[str, Any] | None = None

    def _dose(self) -> tuple[str, Any, float]:
        """(label, dose object, course scale) of the dose the queries read."""
        if self._evaluation_dose is None:
            return TOTAL_DOSE, self.total_dose(), 1.0
        label, dose = self._evaluation_dose
        return label, dose, float(self.beam_set.FractionationPattern.NumberOfFractions)

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
        label, dose, scale = self._dose()
        doses = self.call(label, dose, "GetDoseAtRelativeVolumes", RoiName=roi,
                          RelativeVolumes=[min(max(fraction, 0.0), 1.0)])
        return float(doses[0]) * scale

    def volume_at_dose(self, roi: str, dose_cgy: float, absolute: bool = False) -> float:
        """GetRelativeVolumeAtDoseValues: percent, or cc (fraction x GetRoiVolume())."""
        label, dose, scale = self._dose()
        volumes = self.call(label, dose, "GetRelativeVolumeAtDoseValues", RoiName=roi,
                            DoseValues=[float(dose_cgy) / scale])
        fraction = float(volumes[0])
        return fraction * self.roi_volume_cc(roi) if absolute else 100.0 * fraction

    def dose_statistic(self, roi: str, statistic: DoseStatistic) -> float:
        """GetDoseStatistic: Average, Min or Max (cGy)."""
        label, dose, scale = self._dose()
        return float(self.call(label, dose, "GetDoseStatistic", RoiName=roi, DoseType=statistic.value)) * scale

    def dvh(self, roi: str, step_cgy: float = 10.0) -> list[tuple[float, float]]:
        """Cumulative DVH (cGy, %) every `step_cgy` up to the maximum dose, by GetRelativeVolumeAtDoseValues."""
        if step_cgy <= 0:
            raise BackendError("the DVH step must be positive")
        top = self.dose_statistic(roi, DoseStatistic.MAX)
        levels = [i * float(step_cgy) for i in range(int(top // step_cgy) + 2)]
        label, dose, scale = self._dose()
        volumes = self.call(label, dose, "GetRelativeVolumeAtDoseValues", RoiName=roi,
                            DoseValues=[level / scale for level in levels])
        return [(d, 100.0 * float(v)) for d, v in zip(levels, volumes, strict=True)]

    def _evaluation(self) -> Any:
        return self.plan.TreatmentCourse.EvaluationSetup

    def evaluate_goals(self) -> list[GoalResult]:
        """Every clinical goal of the plan in the planner's units: GetClinicalGoalValue and EvaluateClinicalGoal
        on the total dose; in a scenario, GetClinicalGoalValueForEvaluationDose on its fraction dose scaled to
        the course, compared with the goal's level here."""
        results = []
        for i, function in enumerate(self._evaluation().EvaluationFunctions):
            planning = function.PlanningGoal
            level = float(planning.PrimaryAcceptanceLevel)
            goal = goals.from_raystation(function.ForRegionOfInterest.Name, planning.GoalCriteria, planning.Type,
                                         level, float(planning.ParameterValue or 0.0), int(planning.Priority))
            if goal is None:
                log.info("clinical goal %d (%s) is not evaluated by PlanFlow", i, planning.Type)
                continue
            label = f"plan.TreatmentCourse.EvaluationSetup.EvaluationFunctions[{i}]"
            if self._evaluation_dose is None:
                value = float(self.call(label, function, "GetClinicalGoalValue"))
                met = bool(self.call(label, function, "EvaluateClinicalGoal"))
            else:
                value = float(self.call(label, function, "GetClinicalGoalValueForEvaluationDose",
                                        DoseDistribution=self._evaluation_dose[1], ScaleFractionDoseToBeamSet=True))
                met = value >= level if planning.GoalCriteria == "AtLeast" else value <= level
            results.append(GoalResult(goal=goal, value=goals.value_from_raystation(GoalType(goal.type), value),
                                      met=met))
        return results
