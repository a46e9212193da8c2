"""Clinical goal templates of the simulated clinic, and goal evaluation on an ROI's DVH."""

from __future__ import annotations

from planflow_qt.backends.simulated.dvh import Dvh
from planflow_qt.model.planning import ClinicalGoal, GoalCriterion, GoalResult, GoalType

_MOST, _LEAST = GoalCriterion.AT_MOST, GoalCriterion.AT_LEAST
_VD, _DCC, _MEAN = GoalType.VOLUME_AT_DOSE, GoalType.DOSE_AT_ABSOLUTE_VOLUME, GoalType.AVERAGE_DOSE


def _goal(roi: str, criterion: GoalCriterion, type_: GoalType, level: float, parameter: float = 0.0,
          priority: int = 1) -> ClinicalGoal:
    return ClinicalGoal(roi=roi, criterion=criterion, type=type_, level=level, parameter=parameter,
                        priority=priority)


TEMPLATES: dict[str, list[ClinicalGoal]] = {
    # NCCN / RTOG 0617 / institutional criteria of the lung progressive study (60 Gy in 30 fractions).
    "Lung": [
        _goal("PTV", _LEAST, _VD, 95.0, 6000.0),
        _goal("PTV", _MOST, _DCC, 6900.0, 0.03),
        _goal("Lungs", _MOST, _VD, 18.0, 3000.0, 2),
        _goal("Lungs", _MOST, _VD, 28.0, 2000.0, 2),
        _goal("Lungs", _MOST, _VD, 50.0, 500.0, 2),
        _goal("Lungs", _MOST, _MEAN, 1250.0, priority=2),
        _goal("Heart", _MOST, _VD, 40.0, 3000.0, 2),
        _goal("Heart", _MOST, _MEAN, 2500.0, priority=2),
        _goal("SpinalCord", _MOST, _DCC, 4500.0, 0.03),
    ],
    # Esophagus, 50 Gy in 25 fractions.
    "Esophagus": [
        _goal("PTV", _LEAST, _VD, 95.0, 5000.0),
        _goal("PTV", _MOST, _DCC, 5500.0, 0.03),
        _goal("Lungs", _MOST, _VD, 20.0, 2000.0, 2),
        _goal("Lungs", _MOST, _MEAN, 1500.0, priority=2),
        _goal("Heart", _MOST, _VD, 30.0, 3000.0, 2),
        _goal("Heart", _MOST, _MEAN, 2600.0, priority=2),
        _goal("SpinalCord", _MOST, _DCC, 4500.0, 0.03),
    ],
}
"""Goal templates by name; their ROI names are mapped to the case's when applied."""


def goal_value(goal: ClinicalGoal, dose: Dvh, roi_volume_cc: float) -> float:
    """The value a goal compares with its level: cGy, volume % or cc."""
    t = goal.type
    if t is GoalType.DOSE_AT_VOLUME:
        return dose.dose_at_volume(goal.parameter / 100.0)
    if t is GoalType.DOSE_AT_ABSOLUTE_VOLUME:
        return dose.dose_at_volume(min(1.0, goal.parameter / roi_volume_cc))
    if t is GoalType.VOLUME_AT_DOSE:
        return 100.0 * dose.volume_at_dose(goal.parameter)
    if t is GoalType.ABSOLUTE_VOLUME_AT_DOSE:
        return roi_volume_cc * dose.volume_at_dose(goal.parameter)
    return dose.mean


def evaluate(goal: ClinicalGoal, dose: Dvh, roi_volume_cc: float) -> GoalResult:
    """A goal evaluated on the DVH of its ROI."""
    value = goal_value(goal, dose, roi_volume_cc)
    met = value >= goal.level if goal.criterion is GoalCriterion.AT_LEAST else value <= goal.level
    return GoalResult(goal=goal, value=value, met=bool(met))
