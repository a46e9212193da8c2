"""The double's plan optimization: functions and their DoseFunctionParameters, settings, robustness, runs.

Functions live here as RayStation holds them; `RunOptimization` copies the function list and the settings to
the simulated backend (add, update, or neutralize what was deleted) and runs its optimizer. Function values
are the simulated backend's feedback values.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from planflow_qt.backends.raystation.double.base import Collection, Prop, RsObject, at_least, rs_method
from planflow_qt.backends.raystation.double.beam_settings import TreatmentSetupSettings
from planflow_qt.model.planning import (
    FunctionSpec,
    FunctionType,
    OptimizationSettings,
    RobustMethod,
    Robustness,
)

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.double.plan import BeamSet, Plan
    from planflow_qt.backends.raystation.double.world import World

FUNCTION_TYPES = tuple(t.value for t in FunctionType)
FOREIGN_TYPES = ("SmoothMinDvh", "SmoothMaxDvh", "MaxRefDose", "MinRefDose", "MaxRefDvh", "MinRefDvh")
"""Function types PlanFlow does not make, which a plan or template can hold (optimized by RayStation, but not
by the simulated patient behind the double)."""
_ROBUST_METHODS = {"WeightedPowerMean": RobustMethod.COMPOSITE_WORST_CASE,
                   "VoxelwiseWorstCase": RobustMethod.VOXELWISE_WORST_CASE}
_keys = itertools.count(1)


class _Parameters(RsObject):
    """DoseFunctionParameters; constraints have no `Weight`."""

    Weight = Prop(float, 1.0, at_least(0.0))

    def __init__(self, world: World, path: str, function_type: str, constraint: bool):
        super().__init__(world, path)
        self._type, self._constraint = function_type, constraint

    def __getattribute__(self, name: str) -> Any:
        if name == "Weight" and object.__getattribute__(self, "_constraint"):
            raise AttributeError("a constraint has no Weight")
        return super().__getattribute__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "Weight" and self._constraint:
            raise AttributeError("a constraint has no Weight")
        super().__setattr__(name, value)

    @property
    def FunctionType(self) -> str:
        return "UniformEud" if self._type == "TargetEud" else self._type

    def _spec(self) -> dict[str, Any]:
        return {"dose_cgy": self.DoseLevel}


class _DoseParameters(_Parameters):
    _stub_class = "DoseVolumeFunction"
    DoseLevel = Prop(float, 0.0, at_least(0.0))


class _DvhParameters(_DoseParameters):
    PercentVolume = Prop(float, 0.0, at_least(0.0, 100.0))
    IsAbsoluteVolume = Prop(bool, False)
    AbsoluteVolume = Prop(float, 0.0, at_least(0.0))

    def _spec(self) -> dict[str, Any]:
        volume = {"volume_cc": self.AbsoluteVolume} if self.IsAbsoluteVolume else {"volume_percent": self.PercentVolume}
        return {"dose_cgy": self.DoseLevel, **volume}


class _EudParameters(_DoseParameters):
    _stub_class = "EudFunction"
    EudParameterA = Prop(float, 1.0, lambda a: "the EUD parameter a must not be 0" if a == 0 else None)

    def _spec(self) -> dict[str, Any]:
        return {"dose_cgy": self.DoseLevel, "eud_a": self.EudParameterA}


class _FallOffParameters(_Parameters):
    _stub_class = "DoseFallOffFunction"
    HighDoseLevel = Prop(float, 0.0, at_least(0.0))
    LowDoseLevel = Prop(float, 0.0, at_least(0.0))
    LowDoseDistance = Prop(float, 1.0, at_least(0.0, 10.0))
    AdaptToTargetDoseLevels = Prop(bool, False)

    @property
    def FunctionType(self) -> str:
        raise AttributeError("DoseFallOff parameters have no FunctionType")

    def _spec(self) -> dict[str, Any]:
        return {"high_dose_cgy": self.HighDoseLevel, "low_dose_cgy": self.LowDoseLevel,
                "low_dose_distance_cm": self.LowDoseDistance}


class _UniformityParameters(_Parameters):
    _stub_class = "UniformityConstraint"

    @property
    def FunctionType(self) -> str:
        raise AttributeError("UniformityConstraint parameters have no FunctionType")

    PercentStdDeviation = Prop(float, 5.0, at_least(0.0, 100.0))

    def _spec(self) -> dict[str, Any]:
        return {"std_dev_percent": self.PercentStdDeviation}


def _parameters(world: World, path: str, function_type: str, constraint: bool) -> _Parameters:
    kind = {"MinDvh": _DvhParameters, "MaxDvh": _DvhParameters, "MinEud": _EudParameters,
            "MaxEud": _EudParameters, "TargetEud": _EudParameters, "DoseFallOff": _FallOffParameters,
            "UniformityConstraint": _UniformityParameters}.get(function_type, _DoseParameters)
    return kind(world, f"{path}.DoseFunctionParameters", function_type, constraint)


class FunctionValue(RsObject):
    """A function's feedback value (`.FunctionValue`) and its planning value."""

    _stub_class = "FunctionValues"

    def __init__(self, world: World, path: str, value: float):
        super().__init__(world, path)
        self._value = float(value)

    FunctionValue = property(lambda self: self._value)
    PlanningValue = property(lambda self: self._value)


class OptimizationFunction(RsObject):
    """An objective or constraint on an ROI."""

    _stub_class = "DoseBasedRoiFunction"

    Tag = Prop(str, None, nullable=True)

    def __init__(self, world: World, po: PlanOptimization, path: str, kw: dict[str, Any]):
        super().__init__(world, path)
        self._po, self._key = po, f"f{next(_keys)}"
        self._configure(kw)

    def _configure(self, kw: dict[str, Any]) -> None:
        """Type, ROI and flags from AddOptimizationFunction / EditOptimizationFunction keywords."""
        po = self._po
        function_type = kw["FunctionType"]
        if function_type not in FUNCTION_TYPES + FOREIGN_TYPES:
            raise SystemError(f"FunctionType {function_type!r} is not simulated; types: "
                              f"{', '.join(FUNCTION_TYPES + FOREIGN_TYPES)}")
        roi = kw["RoiName"]
        if roi not in self._world.case.PatientModel.RegionsOfInterest:
            raise SystemError(f"ROI {roi!r} not found in the case")
        constraint = kw.get("IsConstraint", False)
        if function_type == "UniformityConstraint" and not constraint:
            raise SystemError("UniformityConstraint can only be a constraint")
        beams = po._beam_names(kw)
        previous = getattr(self, "_type", None)
        self._type, self._roi, self._constraint = function_type, roi, bool(constraint)
        self._robust, self._beams = bool(kw.get("IsRobust", False)), beams
        if previous != function_type or not hasattr(self, "_parameters"):
            self._parameters = _parameters(self._world, self._path, function_type, self._constraint)
        else:
            self._parameters._constraint = self._constraint

    @property
    def DoseFunctionParameters(self) -> _Parameters:
        return self._parameters

    @property
    def ForRegionOfInterest(self) -> Any:
        return self._world.case.PatientModel.RegionsOfInterest[self._roi]

    @property
    def UseRobustness(self) -> bool:
        return self._robust

    @property
    def FunctionValue(self) -> FunctionValue | None:
        """The feedback value (None before the function was optimized); the read is recorded."""
        call = self._world.recorder.record(self._path, "FunctionValue", {}, kind="get")
        sim = self._world.sim
        if self._world.sim_plan is not self._po._plan or self._key not in sim.function_tags():
            return None
        value = sim.function_state(self._key).value
        call.kwargs["value"] = value
        return None if value is None else FunctionValue(self._world, f"{self._path}.FunctionValue", value)

    @property
    def _simulated(self) -> bool:
        return self._type in FUNCTION_TYPES

    def _spec(self) -> FunctionSpec:
        weight = 1.0 if self._constraint else self._parameters.Weight
        return FunctionSpec(type=FunctionType(self._type), roi=self._roi, weight=weight, constraint=self._constraint,
                            robust=self._robust, beams=list(self._beams), tag=self._key, **self._parameters._spec())

    @rs_method
    def DeleteFunction(self) -> None:
        self._po._remove(self)


class CompositeFunction(RsObject):
    """A composite function (e.g. of a template): a tag and a value, no ROI and no dose parameters."""

    _stub_class = "CompositeFunction"
    Tag = Prop(str, None, nullable=True)

    FunctionType = property(lambda self: "CompositeDose")
    ConstituentFunctions = property(lambda self: [])
    FunctionValue = property(lambda self: None)


class Objective(RsObject):
    """The objectives of the optimization and their total value."""

    _stub_class = "CompositeFunction"

    def __init__(self, world: World, path: str):
        super().__init__(world, path)
        self._functions = Collection(world, f"{path}.ConstituentFunctions", key=None)

    @property
    def ConstituentFunctions(self) -> Collection:
        return self._functions

    @property
    def FunctionValue(self) -> FunctionValue | None:
        values = [f.FunctionValue for f in self._functions]
        known = [v.FunctionValue for v in values if v is not None]
        return FunctionValue(self._world, f"{self._path}.FunctionValue", sum(known)) if known else None


class Algorithm(RsObject):
    """Optimizer settings."""

    _stub_class = "OptimizationAlgorithmProperties"

    MaxNumberOfIterations = Prop(int, 40, at_least(1, 1000))
    OptimalityTolerance = Prop(float, 1e-5, at_least(1e-12, 0.1))


class DoseCalculation(RsObject):
    """Dose settings of the optimization."""

    _stub_class = "DoseCalculationProperties"

    ComputeFinalDose = Prop(bool, False)
    ComputeIntermediateDose = Prop(bool, True)
    IterationsInPreparationsPhase = Prop(int, 7, at_least(0, 1000))


class _Uncertainties(RsObject):
    """Position or density uncertainties as saved (zero before any are saved); a script sees the class the
    API declares for them."""

    def __init__(self, world: World, path: str, values: dict[str, float]):
        super().__init__(world, path)
        self._values = values

    def __getattr__(self, name: str) -> Any:
        if name in object.__getattribute__(self, "_values"):
            return self._values[name]
        raise AttributeError(name)


class StoredRobustness(RsObject):
    """The robustness settings saved with `SaveRobustnessParameters`."""

    _stub_class = "RobustnessParameters"

    def __init__(self, world: World, path: str, robustness: Robustness | None):
        super().__init__(world, path)
        r = robustness
        sides = ("Superior", "Inferior", "Anterior", "Posterior", "Left", "Right")
        self._position = _Uncertainties(world, f"{path}.PositionUncertaintyParameters",
                                        {f"PositionUncertainty{s}": getattr(r, f"{s.lower()}_cm") if r else 0.0
                                         for s in sides})
        self._density = _Uncertainties(world, f"{path}.DensityUncertaintyParameters",
                                       {"DensityUncertainty": r.density_percent / 100.0 if r else 0.0})

    PositionUncertaintyParameters = property(lambda self: self._position)
    DensityUncertaintyParameters = property(lambda self: self._density)


class OptimizationParameters(RsObject):
    """Algorithm, dose calculation, robustness and beam settings of an optimization."""

    _stub_class = "OptimizationParameters"

    def __init__(self, world: World, path: str):
        super().__init__(world, path)
        self._algorithm = Algorithm(world, f"{path}.Algorithm")
        self._dose_calculation = DoseCalculation(world, f"{path}.DoseCalculation")
        self._robustness: Robustness | None = None
        self._setup = TreatmentSetupSettings(world, f"{path}.TreatmentSetupSettings[0]")

    Algorithm = property(lambda self: self._algorithm)
    DoseCalculation = property(lambda self: self._dose_calculation)
    TreatmentSetupSettings = property(lambda self: [self._setup])
    RobustnessParameters = property(lambda self: StoredRobustness(self._world, f"{self._path}.RobustnessParameters",
                                                                  self._robustness))

    @rs_method
    def SaveRobustnessParameters(self, **kw: Any) -> None:
        directions = {}
        for name in ("Superior", "Inferior", "Anterior", "Posterior", "Left", "Right"):
            value = kw[f"PositionUncertainty{name}"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 5:
                raise SystemError(f"PositionUncertainty{name} must be cm within 0-5, not {value!r}")
            directions[f"{name.lower()}_cm"] = float(value)
        density = kw["DensityUncertainty"]
        if isinstance(density, bool) or not isinstance(density, (int, float)) or not 0 <= density <= 0.2:
            raise SystemError(f"DensityUncertainty is a fraction within 0-0.2 (3.5 % is 0.035), not {density!r}")
        method = kw.get("RobustMethodPerTreatmentCourse", "WeightedPowerMean")
        if method not in _ROBUST_METHODS:
            raise SystemError(f"RobustMethodPerTreatmentCourse must be one of {', '.join(_ROBUST_METHODS)}")
        self._robustness = Robustness(density_percent=100.0 * density, method=_ROBUST_METHODS[method], **directions)


class PlanOptimization(RsObject):
    """The optimization of one beam set."""

    _stub_class = "PlanningPhase"

    def __init__(self, world: World, plan: Plan, beam_set: BeamSet, path: str):
        super().__init__(world, path)
        self._plan, self._beam_set = plan, beam_set
        self._parameters = OptimizationParameters(world, f"{path}.OptimizationParameters")
        self._objective: Objective | None = None
        self._constraints = Collection(world, f"{path}.Constraints", key=None)
        self._deleted: list[OptimizationFunction] = []

    AutoScaleToPrescription = property(lambda self: self._beam_set._auto_scale)
    OptimizationParameters = property(lambda self: self._parameters)
    Objective = property(lambda self: self._objective)
    Constraints = property(lambda self: self._constraints)
    OptimizedBeamSets = property(lambda self: Collection(self._world, f"{self._path}.OptimizedBeamSets",
                                                         key="DicomPlanLabel", items=[self._beam_set]))

    def _add_beam(self, beam: Any) -> None:
        self._parameters._setup._add_beam(beam)

    def _add_composite(self, tag: str) -> CompositeFunction:
        """Put a composite function in the objective, as a template can (for tests of foreign functions)."""
        target = self._list_for(False)
        function = CompositeFunction(self._world, f"{target._path}[{len(target)}]")
        function.Tag = tag
        return target._add(function)

    def _beam_names(self, kw: dict[str, Any]) -> list[str]:
        restrict = kw.get("RestrictToBeams")
        names = [] if restrict is None else list(restrict)
        unknown = [n for n in names if n not in self._beam_set.Beams]
        if unknown:
            raise SystemError(f"no beam named {', '.join(map(repr, unknown))} in the beam set")
        return names

    def _list_for(self, constraint: bool) -> Collection:
        if constraint:
            return self._constraints
        if self._objective is None:
            self._objective = Objective(self._world, f"{self._path}.Objective")
        return self._objective.ConstituentFunctions

    def _remove(self, function: OptimizationFunction) -> None:
        self._constraints._remove(function)
        if self._objective is not None:
            self._objective.ConstituentFunctions._remove(function)
        self._deleted.append(function)

    def _functions(self) -> list[OptimizationFunction]:
        objectives = list(self._objective.ConstituentFunctions) if self._objective else []
        return objectives + list(self._constraints)

    @rs_method
    def AddOptimizationFunction(self, **kw: Any) -> OptimizationFunction:
        target = self._list_for(bool(kw.get("IsConstraint", False)))
        path = f"{target._path}[{len(target)}]"
        return target._add(OptimizationFunction(self._world, self, path, kw))

    @rs_method
    def EditOptimizationFunction(self, **kw: Any) -> None:
        function = kw["DoseBasedRoiFunction"]
        if not isinstance(function, OptimizationFunction) or function not in self._functions():
            raise SystemError("DoseBasedRoiFunction must be a function of this optimization")
        was_constraint = function._constraint
        function._configure(kw)
        if function._constraint != was_constraint:
            self._list_for(was_constraint)._remove(function)
            self._list_for(function._constraint)._add(function)

    def _sync(self) -> None:
        """Copy the functions and settings to the simulated backend."""
        self._plan._require_sim()
        sim = self._world.sim
        present = set(sim.function_tags())
        for function in self._deleted:
            if getattr(function, "_key", None) in present:
                sim.update_function(function._key, FunctionSpec(type=FunctionType.MAX_DOSE, roi=function._roi,
                                                                dose_cgy=50000.0, weight=0.0, tag=function._key))
        self._deleted.clear()
        for function in self._functions():
            if not getattr(function, "_simulated", False):
                continue
            spec = function._spec()
            if function._key in present:
                sim.update_function(function._key, spec)
            else:
                sim.add_function(spec)
        algorithm, dose = self._parameters.Algorithm, self._parameters.DoseCalculation
        sim.set_optimization_settings(OptimizationSettings(
            iterations=algorithm.MaxNumberOfIterations, tolerance=algorithm.OptimalityTolerance,
            compute_intermediate_dose=dose.ComputeIntermediateDose, compute_final_dose=dose.ComputeFinalDose,
            auto_scale_to_prescription=self.AutoScaleToPrescription))
        if self._parameters._robustness is not None:
            sim.set_robustness(self._parameters._robustness)
        sim.set_beam_settings(self._parameters._setup._settings())

    @rs_method
    def RunOptimization(self, **kw: Any) -> None:
        if not any(getattr(f, "_simulated", False) for f in self._functions()):
            raise SystemError("There are no optimization functions.")
        self._sync()
        self._world.sim.run_optimization()

    @rs_method
    def ResetOptimization(self) -> None:
        self._plan._require_sim()
        self._world.sim.reset_optimization()
