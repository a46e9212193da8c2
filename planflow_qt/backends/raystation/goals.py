"""Clinical goals between the planner's units and RayStation's.

| GoalType | acceptance level (RayStation) | ParameterValue (RayStation) |
| DoseAtVolume | cGy | volume fraction 0-1 (planner: %) |
| DoseAtAbsoluteVolume | cGy | cc |
| VolumeAtDose | fraction 0-1 (planner: %) | cGy |
| AbsoluteVolumeAtDose | cc | cGy |
| AverageDose | cGy | unused |
"""

from __future__ import annotations

from planflow_qt.model.planning import ClinicalGoal, GoalCriterion, GoalType


def to_raystation(goal: ClinicalGoal) -> tuple[float, float]:
    """(acceptance level, ParameterValue) of a goal in RayStation's units."""
    level = goal.level / 100.0 if goal.type is GoalType.VOLUME_AT_DOSE else goal.level
    parameter = goal.parameter / 100.0 if goal.type is GoalType.DOSE_AT_VOLUME else goal.parameter
    return float(level), float(parameter)


def value_from_raystation(goal_type: GoalType, value: float) -> float:
    """A goal value (GetClinicalGoalValue) in the planner's units."""
    return 100.0 * value if goal_type is GoalType.VOLUME_AT_DOSE else float(value)


def from_raystation(roi: str, criteria: str, goal_type: str, level: float, parameter: float,
                    priority: int) -> ClinicalGoal | None:
    """The goal in the planner's units; None for goal types PlanFlow does not evaluate (e.g. conformity)."""
    try:
        kind = GoalType(goal_type)
        criterion = GoalCriterion(criteria)
    except ValueError:
        return None
    level = round(100.0 * level, 9) if kind is GoalType.VOLUME_AT_DOSE else level
    parameter = round(100.0 * parameter, 9) if kind is GoalType.DOSE_AT_VOLUME else parameter
    return ClinicalGoal(roi=roi, criterion=criterion, type=kind, level=float(level), parameter=float(parameter or 0.0),
                        priority=max(1, min(99, int(priority))))
