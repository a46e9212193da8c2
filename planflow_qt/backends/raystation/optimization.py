"""Optimization in RayStation's terms: robustness, settings, functions, runs, normalization, final dose.

Functions are found by their `Tag`; their DoseFunctionParameters fields are assigned one by one (cGy floats,
DVH volume percent, fall-off distance cm). Iterations are ints, density uncertainty a fraction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation import functions
from planflow_qt.backends.raystation.adapters import AUTO_SCALE, FUNCTION_EDIT
from planflow_qt.backends.raystation.api import Scripting
from planflow_qt.backends.raystation.dose import TOTAL_DOSE, DoseQueries
from planflow_qt.model.names import next_free_name
from planflow_qt.model.planning import (
    DVH_TYPES,
    EUD_TYPES,
    DoseAlgorithm,
    DoseStatistic,
    FunctionSpec,
    FunctionState,
    FunctionType,
    OptimizationSettings,
    Prescription,
    PrescriptionType,
    RobustMethod,
    Robustness,
)

log = logging.getLogger(__name__)

_ROBUST_METHODS = {RobustMethod.COMPOSITE_WORST_CASE: "WeightedPowerMean",
                   RobustMethod.VOXELWISE_WORST_CASE: "VoxelwiseWorstCase"}
_PHOTON_ALGORITHMS = {DoseAlgorithm.COLLAPSED_CONE: "CCDose", DoseAlgorithm.MONTE_CARLO: "PhotonMonteCarlo"}
_PROTON_ALGORITHMS = {"2025": {DoseAlgorithm.PENCIL_BEAM: "SpotWeightPencilBeam",
                               DoseAlgorithm.MONTE_CARLO: "SpotWeightMonteCarlo"},
                      "2024B": {DoseAlgorithm.PENCIL_BEAM: "IonPencilBeam", DoseAlgorithm.MONTE_CARLO: "IonMonteCarlo"}}


@dataclass(frozen=True)
class PlanFunction:
    """A function of the plan as read once per node: its tag, the RayStation object, whether it is a
    constraint, and its type (None for functions PlanFlow leaves alone)."""

    tag: str
    function: Any
    constraint: bool
    kind: FunctionType | None


def position_uncertainties(robustness: Robustness) -> dict[str, float]:
    """The six `PositionUncertainty...` keywords (cm) of robustness settings and scenario groups."""
    return {f"PositionUncertainty{side}": float(getattr(robustness, f"{side.lower()}_cm"))
            for side in ("Anterior", "Posterior", "Superior", "Inferior", "Left", "Right")}


def prescription_keywords(prescription: Prescription) -> dict[str, Any]:
    """RoiName, DoseVolume (percent), PrescriptionType and DoseValue (cGy) of a prescription."""
    volume = {PrescriptionType.DOSE_AT_VOLUME: prescription.volume_percent,
              PrescriptionType.MEDIAN_DOSE: 50.0}.get(prescription.kind, 0.0)
    return {"RoiName": prescription.roi, "DoseVolume": float(volume), "PrescriptionType": prescription.kind.value,
            "DoseValue": float(prescription.dose_cgy)}


class OptimizationCalls(DoseQueries):
    """The optimization of the current beam set."""

    def __init__(self, scripting: Scripting | None = None):
        super().__init__(scripting)
        self._prescription: Prescription | None = None
        self._beams_of: dict[str, list[str]] = {}
        self._achieved: dict[tuple[str, str], float | None] = {}
        self._listed: list[PlanFunction] | None = None
        self._foreign_logged: set[str] = set()

    def set_robustness(self, robustness: Robustness) -> None:
        """SaveRobustnessParameters: setup uncertainties in cm, density as a fraction."""
        parameters = self.optimization.OptimizationParameters
        self._robustness = robustness
        self.call(f"{self.optimization_label}.OptimizationParameters", parameters, "SaveRobustnessParameters",
                  **position_uncertainties(robustness), DensityUncertainty=float(robustness.density_percent) / 100.0,
                  UseReducedSetOfDensityShifts=False, PositionUncertaintySetting="Universal",
                  IndependentLeftRight=True, IndependentAnteriorPosterior=True, IndependentSuperiorInferior=True,
                  ComputeExactScenarioDoses=False, NamesOfNonPlanningExaminations=[],
                  PatientGeometryUncertaintyType="PerTreatmentCourse", PositionUncertaintyType="PerTreatmentCourse",
                  TreatmentCourseScenariosFactor=1000, PositionUncertaintyFormation="Automatic",
                  RobustMethodPerTreatmentCourse=_ROBUST_METHODS[robustness.method])

    def set_optimization_settings(self, settings: OptimizationSettings) -> None:
        """Iterations (int), tolerance (float), intermediate and final dose, and auto-scaling to the
        prescription: `SetAutoScaleToPrimaryPrescription` on the beam set (the optimization's
        `AutoScaleToPrescription` is read-only from RayStation 12A on; it is assigned only where the beam set
        lacks the method)."""
        parameters = self.optimization.OptimizationParameters
        algorithm, dose = parameters.Algorithm, parameters.DoseCalculation
        label = f"{self.optimization_label}.OptimizationParameters"
        self.assign(f"{label}.Algorithm", algorithm, "MaxNumberOfIterations", int(settings.iterations))
        self.assign(f"{label}.Algorithm", algorithm, "OptimalityTolerance", float(settings.tolerance))
        self.assign(f"{label}.DoseCalculation", dose, "ComputeIntermediateDose",
                    bool(settings.compute_intermediate_dose))
        self.assign(f"{label}.DoseCalculation", dose, "ComputeFinalDose", bool(settings.compute_final_dose))
        if settings.compute_final_dose and settings.final_dose_algorithm is not None:
            self._final_dose_algorithm(settings.final_dose_algorithm)
        auto_scale = bool(settings.auto_scale_to_prescription)
        if self.adapters.has(AUTO_SCALE, self.beam_set):
            self.call("beam_set", self.beam_set, AUTO_SCALE.newer, AutoScale=auto_scale)
        else:
            self.assign(self.optimization_label, self.optimization, AUTO_SCALE.older, auto_scale)

    # -- functions ---------------------------------------------------------------------------------------------
    def _functions(self) -> list[PlanFunction]:
        """The plan's functions, objectives then constraints, read once until something changes them.

        Untagged functions are named `{roi}_{type}_{n}`; functions PlanFlow does not read (composite functions,
        types it does not make) are listed with `kind` None, logged once, and never changed.
        """
        if self._listed is not None:
            return self._listed
        po = self.optimization
        objective = po.Objective
        found = [(f, False) for f in (objective.ConstituentFunctions if objective is not None else [])]
        found += [(f, True) for f in po.Constraints]
        listed: list[PlanFunction] = []
        used: set[str] = set()
        for function, constraint in found:
            kind = functions.function_type(function)
            tag = function.Tag
            if not tag:
                stem = f"{function.ForRegionOfInterest.Name}_{kind.value}" if kind is not None else "function"
                tag = next_free_name(f"{stem}_{{n}}", used)
            used.add(tag)
            listed.append(PlanFunction(tag, function, constraint, kind))
            if kind is None and tag not in self._foreign_logged:
                self._foreign_logged.add(tag)
                log.info("function %r is of a type PlanFlow does not read (composite or %s); it is left as it is",
                         tag, getattr(getattr(function, "DoseFunctionParameters", None), "FunctionType", "unknown"))
        self._listed = listed
        return listed

    def _functions_changed(self) -> None:
        self._listed = None

    def _function(self, tag: str) -> PlanFunction:
        for found in self._functions():
            if found.tag == tag:
                if found.kind is None:
                    raise BackendError(f"function {tag!r} is of a type PlanFlow does not read or change (a "
                                       "composite function, or a type such as SmoothMaxDvh): leave it out of the flow")
                return found
        raise BackendError(f"no function tagged {tag!r} in the plan")

    def function_tags(self) -> list[str]:
        """Tags of the functions PlanFlow can read, objectives then constraints (others are left alone)."""
        return [f.tag for f in self._functions() if f.kind is not None]

    def _flags(self, spec: FunctionSpec) -> dict[str, Any]:
        return {"FunctionType": spec.type.value, "RoiName": spec.roi, "IsConstraint": bool(spec.constraint),
                "RestrictAllBeamsIndividually": False, "RestrictToBeams": list(spec.beams),
                "IsRobust": bool(spec.robust), "UseRbeDose": False}

    def _write(self, tag: str, function: Any, fields: dict[str, Any]) -> None:
        parameters = function.DoseFunctionParameters
        for name, value in fields.items():
            self.assign(f"function {tag!r}.DoseFunctionParameters", parameters, name, value)

    def _add(self, spec: FunctionSpec, tag: str) -> Any:
        function = self.call(self.optimization_label, self.optimization, "AddOptimizationFunction",
                             **self._flags(spec))
        self._functions_changed()
        self.assign(f"function {tag!r}", function, "Tag", tag)
        self._write(tag, function, functions.parameter_fields(spec))
        return function

    def add_function(self, spec: FunctionSpec) -> None:
        """AddOptimizationFunction, then its Tag and DoseFunctionParameters fields."""
        tags = [f.tag for f in self._functions()]
        tag = spec.tag or next_free_name(f"{spec.roi}_{spec.type.value}_{{n}}", set(tags))
        if tag in tags:
            raise BackendError(f"a function tagged {tag!r} already exists")
        self._add(spec, tag)
        self._beams_of[tag] = list(spec.beams)

    def update_function(self, tag: str, spec: FunctionSpec) -> None:
        """Change the function tagged `tag`. When its type, ROI or flags change: EditOptimizationFunction where
        RayStation has it (2025), else the function is deleted and added again with its tag, weight and
        parameters; otherwise only the fields that differ are assigned."""
        found = self._function(tag)
        current = functions.read_spec(found.function, found.kind, found.constraint, tag, self._beams_of.get(tag, []))
        spec = spec.model_copy(update={"tag": tag})
        if (spec.type, spec.roi, spec.constraint, spec.robust, spec.beams) == (
                current.type, current.roi, current.constraint, current.robust, current.beams):
            self._write(tag, found.function, functions.changed_fields(current, spec))
        elif self.adapters.has(FUNCTION_EDIT, self.optimization):
            self.call(self.optimization_label, self.optimization, FUNCTION_EDIT.newer, **self._flags(spec),
                      DoseBasedRoiFunction=found.function)
            self._functions_changed()
            edited = next((f.function for f in self._functions() if f.tag == tag), None)
            if edited is None:
                raise BackendError(f"function {tag!r} lost its tag when it was edited: tag it again in RayStation")
            self._write(tag, edited, functions.parameter_fields(spec))
        else:
            self.call(f"function {tag!r}", found.function, "DeleteFunction")
            self._functions_changed()
            self._add(spec, tag)
        self._beams_of[tag] = list(spec.beams)

    def function_state(self, tag: str) -> FunctionState:
        """The function with its feedback value (`FunctionValue.FunctionValue`) and achieved level."""
        found = self._function(tag)
        spec = functions.read_spec(found.function, found.kind, found.constraint, tag, self._beams_of.get(tag, []))
        feedback = found.function.FunctionValue
        if feedback is None or feedback.FunctionValue is None:
            return FunctionState(spec=spec)
        key = (tag, spec.model_dump_json())
        if key not in self._achieved:
            self._achieved[key] = self._achieved_level(spec)
        return FunctionState(spec=spec, value=float(feedback.FunctionValue), achieved=self._achieved[key])

    def _achieved_level(self, spec: FunctionSpec) -> float | None:
        """What the function achieves on the total dose: min / max / mean dose, D at its volume, or its EUD.

        None for fall-offs, uniformity constraints and functions restricted to some beams (their dose is not
        the total dose).
        """
        t = spec.type
        if spec.beams:
            return None
        if t in (FunctionType.MIN_DOSE, FunctionType.MAX_DOSE, FunctionType.UNIFORM_DOSE):
            statistic = {FunctionType.MIN_DOSE: DoseStatistic.MIN, FunctionType.MAX_DOSE: DoseStatistic.MAX}.get(
                t, DoseStatistic.MEAN)
            return self.dose_statistic(spec.roi, statistic)
        if t in DVH_TYPES:
            return self.dose_at_volume(spec.roi, volume_percent=spec.volume_percent, volume_cc=spec.volume_cc)
        if t in EUD_TYPES:
            doses = self.call(TOTAL_DOSE, self.total_dose(), "GetDoseAtRelativeVolumes", RoiName=spec.roi,
                              RelativeVolumes=functions.eud_volumes())
            return functions.eud_from_dvh(list(doses), spec.eud_a, 1e-3 * max(spec.dose_cgy, 1e-6))
        return None

    # -- runs, scaling, final dose -----------------------------------------------------------------------------
    def _dose_changed(self) -> None:
        self._achieved.clear()
        self._functions_changed()

    def run_optimization(self) -> None:
        """RunOptimization from the current state."""
        self._dose_changed()
        self.call(self.optimization_label, self.optimization, "RunOptimization")

    def reset_optimization(self) -> None:
        """ResetOptimization."""
        self._dose_changed()
        self.call(self.optimization_label, self.optimization, "ResetOptimization")

    def normalize_to_prescription(self) -> None:
        """Scale the beam set to its primary prescription (ScaleToPrimaryPrescriptionDoseReference)."""
        self._dose_changed()
        self.call("beam_set", self.beam_set, "ScaleToPrimaryPrescriptionDoseReference", LockedBeamNames=[],
                  EvaluateOptimizationFunctionsAfterScaling=True)

    def compute_final_dose(self, algorithm: DoseAlgorithm) -> None:
        """The final dose: the algorithm is a setting of the beam set's fraction dose
        (`FractionDose.InputSettingsForFinalDose.DoseAlgorithm`), then `ComputeDose(RunEntryValidation=True)`.
        Photons: CCDose or PhotonMonteCarlo; protons (PBS): SpotWeightPencilBeam / SpotWeightMonteCarlo in
        2025, IonPencilBeam / IonMonteCarlo in 2024B."""
        self._dose_changed()
        self._final_dose_algorithm(algorithm)
        self.call("beam_set", self.beam_set, "ComputeDose", RunEntryValidation=True)

    def _final_dose_algorithm(self, algorithm: DoseAlgorithm) -> None:
        """Set the algorithm of the beam set's final dose (also the one an optimization computes at its end)."""
        modality = str(self.beam_set.Modality)
        if modality == "Photons":
            names = _PHOTON_ALGORITHMS
        else:
            names = self.adapters.by_version("proton dose algorithms", _PROTON_ALGORITHMS["2025"],
                                             _PROTON_ALGORITHMS["2024B"])
        name = names.get(algorithm)
        if name is None:
            raise BackendError(f"RayStation has no {algorithm.value} final dose for {modality.lower()}: use "
                               f"{' or '.join(a.value for a in names)}")
        settings = self.beam_set.FractionDose.InputSettingsForFinalDose
        self.assign("beam_set.FractionDose.InputSettingsForFinalDose", settings, "DoseAlgorithm", name)
