"""The double's total dose and clinical goals: every number comes from the simulated backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from planflow_qt.backends.raystation.double.base import Collection, RsObject, number, rs_method
from planflow_qt.model.planning import DoseStatistic

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.double.plan import Plan
    from planflow_qt.backends.raystation.double.world import World

GOAL_TYPES = ("DoseAtVolume", "DoseAtAbsoluteVolume", "VolumeAtDose", "AbsoluteVolumeAtDose", "AverageDose")


class DoseDistribution(RsObject):
    """A dose of the plan: the total dose, a beam set's fraction dose, or a scenario's fraction dose.

    Every number comes from the simulated backend's DVH of the nominal dose or of scenario `scenario`, divided
    by `fractions` for a fraction dose. DVH queries return NumPy arrays, as the API does.
    """

    _stub_class = "CompositeDose"

    def __init__(self, world: World, plan: Plan, path: str, fractions: Callable[[], int] | None = None,
                 scenario: str | None = None):
        super().__init__(world, path)
        self._plan, self._fractions, self._scenario = plan, fractions, scenario

    @property
    def _scale(self) -> float:
        return 1.0 / self._fractions() if self._fractions is not None else 1.0

    @property
    def DoseValues(self) -> Any:
        """The dose values, None until the plan has a dose (only the simulated plan ever has one)."""
        world = self._world
        current = world.sim._plan if world.sim_plan is self._plan else None
        if current is None or current.dose_rows is None:
            return None
        return DoseValues(world, f"{self._path}.DoseValues")

    def _roi(self, name: Any) -> str:
        self._plan._require_sim()
        rois = self._world.case.PatientModel.RegionsOfInterest
        if not isinstance(name, str) or name not in rois or not rois[name]._has_geometry:
            raise SystemError(f"ROI {name!r} not found or without contours")
        return name

    def _dvh(self, roi: str) -> Any:
        sim = self._world.sim
        if self._scenario is None:
            return sim._dvh(roi)
        with sim.scenario(self._scenario):
            return sim._dvh(roi)

    @rs_method
    def GetDoseAtRelativeVolumes(self, **kw: Any) -> np.ndarray:
        curve = self._dvh(self._roi(kw["RoiName"]))
        fractions = [number(v, "RelativeVolumes", 0.0, 1.0) for v in kw["RelativeVolumes"]]
        return np.array([curve.dose_at_volume(f) * self._scale for f in fractions])

    @rs_method
    def GetRelativeVolumeAtDoseValues(self, **kw: Any) -> np.ndarray:
        curve = self._dvh(self._roi(kw["RoiName"]))
        doses = [number(d, "DoseValues", 0.0) / self._scale for d in kw["DoseValues"]]
        return np.array([curve.volume_at_dose(d) for d in doses])

    @rs_method
    def GetDoseStatistic(self, **kw: Any) -> float:
        curve = self._dvh(self._roi(kw["RoiName"]))
        statistic = {"Average": curve.mean, "Min": curve.min, "Max": curve.max}.get(kw["DoseType"])
        if statistic is None:
            raise SystemError(f"DoseType must be 'Average', 'Min' or 'Max', not {kw['DoseType']!r}")
        return float(statistic) * self._scale


class DoseValues(RsObject):
    """The values of a dose on its grid (the double answers only whether there are any)."""

    _stub_class = "DoseValues"


class FractionDose(DoseDistribution):
    """A beam set's dose for one fraction, with the settings of its final dose computation."""

    _stub_class = "FractionDose"

    def __init__(self, world: World, plan: Plan, beam_set: Any, path: str):
        super().__init__(world, plan, path, fractions=lambda: beam_set._fractions)
        from planflow_qt.backends.raystation.double.plan import DoseComputationSettings

        self._settings = DoseComputationSettings(world, f"{path}.InputSettingsForFinalDose")

    InputSettingsForFinalDose = property(lambda self: self._settings)


class PlanningGoal(RsObject):
    """What a clinical goal asks, in RayStation's units."""

    _stub_class = "PlanningGoal"

    def __init__(self, world: World, path: str, kw: dict[str, Any]):
        super().__init__(world, path)
        self._kw = kw

    Type = property(lambda self: self._kw["GoalType"])
    GoalCriteria = property(lambda self: self._kw["GoalCriteria"])
    PrimaryAcceptanceLevel = property(lambda self: self._kw["PrimaryAcceptanceLevel"])
    ParameterValue = property(lambda self: self._kw.get("ParameterValue", 0.0))
    Priority = property(lambda self: self._kw.get("Priority", 1))
    IsComparativeGoal = property(lambda self: self._kw.get("IsComparativeGoal", False))

    def _identity(self) -> tuple:
        return (self._kw["RoiName"], self.GoalCriteria, self.Type, float(self._kw["PrimaryAcceptanceLevel"]),
                float(self.ParameterValue), self.IsComparativeGoal)


class EvaluationFunction(RsObject):
    """A clinical goal of the plan."""

    _stub_class = "DoseBasedRoiFunction"

    def __init__(self, world: World, setup: EvaluationSetup, path: str, kw: dict[str, Any]):
        super().__init__(world, path)
        self._setup = setup
        self._goal = PlanningGoal(world, f"{path}.PlanningGoal", kw)

    @property
    def ForRegionOfInterest(self) -> Any:
        return self._world.case.PatientModel.RegionsOfInterest[self._goal._kw["RoiName"]]

    @property
    def PlanningGoal(self) -> PlanningGoal:
        return self._goal

    def _value(self) -> float:
        self._setup._plan._require_sim()
        sim, goal = self._world.sim, self._goal
        roi, parameter = goal._kw["RoiName"], float(goal.ParameterValue)
        if goal.Type == "DoseAtVolume":
            return sim.dose_at_volume(roi, volume_percent=100.0 * parameter)
        if goal.Type == "DoseAtAbsoluteVolume":
            return sim.dose_at_volume(roi, volume_cc=parameter)
        if goal.Type == "VolumeAtDose":
            return sim.volume_at_dose(roi, parameter) / 100.0
        if goal.Type == "AbsoluteVolumeAtDose":
            return sim.volume_at_dose(roi, parameter, absolute=True)
        return sim.dose_statistic(roi, DoseStatistic.MEAN)

    @rs_method
    def GetClinicalGoalValue(self) -> float:
        return self._value()

    @rs_method
    def EvaluateClinicalGoal(self, **kw: Any) -> bool:
        value, level = self._value(), float(self._goal._kw["PrimaryAcceptanceLevel"])
        return value >= level if self._goal.GoalCriteria == "AtLeast" else value <= level

    @rs_method
    def GetClinicalGoalValueForEvaluationDose(self, **kw: Any) -> float:
        """The goal's value on another dose (a scenario's fraction dose), scaled to the course if asked."""
        dose = kw["DoseDistribution"]
        if not isinstance(dose, DoseDistribution) or dose._scenario is None:
            raise SystemError("DoseDistribution must be a scenario dose of a scenario group")
        if not kw["ScaleFractionDoseToBeamSet"]:
            raise SystemError("the test double evaluates scenario doses scaled to the beam set only")
        with self._world.sim.scenario(dose._scenario):
            return self._value()


class EvaluationSetup(RsObject):
    """The clinical goals of the plan."""

    _stub_class = "EvaluationSetup"

    def __init__(self, world: World, plan: Plan):
        super().__init__(world, f"case.TreatmentPlans[{plan.Name!r}].TreatmentCourse.EvaluationSetup")
        self._plan = plan
        self._functions = Collection(world, f"{self._path}.EvaluationFunctions", key=None)

    @property
    def EvaluationFunctions(self) -> Collection:
        return self._functions

    def _add_goal(self, kw: dict[str, Any]) -> EvaluationFunction:
        rois = self._world.case.PatientModel.RegionsOfInterest
        if kw["RoiName"] not in rois:
            raise SystemError(f"ROI {kw['RoiName']!r} not found in the case")
        kw = {"GoalCriteria": "AtLeast", "GoalType": "DoseAtVolume", "PrimaryAcceptanceLevel": 0.0, **kw}
        if kw["GoalCriteria"] not in ("AtLeast", "AtMost"):
            raise SystemError(f"GoalCriteria must be 'AtLeast' or 'AtMost', not {kw['GoalCriteria']!r}")
        if kw["GoalType"] not in GOAL_TYPES:
            raise SystemError(f"GoalType {kw['GoalType']!r} is not simulated; types: {', '.join(GOAL_TYPES)}")
        goal_type = kw["GoalType"]
        number(kw["PrimaryAcceptanceLevel"], "acceptance level", 0.0, 1.0 if goal_type == "VolumeAtDose" else None)
        number(kw.get("ParameterValue", 0.0), "ParameterValue", 0.0, 1.0 if goal_type == "DoseAtVolume" else None)
        priority = kw.get("Priority", 1)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise SystemError(f"Priority must be an integer, not {priority!r}")
        path = f"{self._path}.EvaluationFunctions[{len(self._functions)}]"
        function = EvaluationFunction(self._world, self, path, kw)
        if any(f.PlanningGoal._identity() == function.PlanningGoal._identity() for f in self._functions):
            raise SystemError("An identical clinical goal already exists.")
        return self._functions._add(function)

    @rs_method
    def AddClinicalGoal(self, **kw: Any) -> EvaluationFunction:
        return self._add_goal(kw)

    @rs_method
    def ApplyClinicalGoalTemplate(self, **kw: Any) -> None:
        template = kw["Template"]
        goals = getattr(template, "_goals", None)
        if goals is None:
            raise SystemError("Template must be a clinical goal template loaded from the PatientDB")
        mapping = kw.get("AssociatedRoisAndPois") or {}
        if kw.get("ReplaceExistingClinicalGoals", False):
            self._functions._items.clear()
        for goal in goals:
            volume_goal = goal.type.value == "VolumeAtDose"
            self._add_goal({
                "RoiName": mapping.get(goal.roi, goal.roi), "GoalCriteria": goal.criterion.value,
                "GoalType": goal.type.value,
                "PrimaryAcceptanceLevel": goal.level / 100.0 if volume_goal else goal.level,
                "ParameterValue": goal.parameter / 100.0 if goal.type.value == "DoseAtVolume" else goal.parameter,
                "IsComparativeGoal": False, "Priority": goal.priority})


class TreatmentCourse(RsObject):
    """Total dose and evaluation of the plan."""

    _stub_class = "TreatmentCourse"

    def __init__(self, world: World, plan: Plan):
        super().__init__(world, f"case.TreatmentPlans[{plan.Name!r}].TreatmentCourse")
        self._dose = DoseDistribution(world, plan, f"{self._path}.TotalDose")
        self._evaluation = EvaluationSetup(world, plan)

    @property
    def TotalDose(self) -> DoseDistribution:
        return self._dose

    @property
    def EvaluationSetup(self) -> EvaluationSetup:
        return self._evaluation
