"""Optimization in RayStation's terms: robustness, settings, functions, runs, normalization, final dose.

Functions are found by their `Tag`; their DoseFunctionParameters fields are assigned one by one (cGy floats,
DVH volume percent, fall-off distance cm). Iterations are ints, density uncertainty a fraction.
"""

from __future__ import annotations

import logging
from typing import Any

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation import functions
from planflow_qt.backends.raystation.adapters import BEAM_RESTRICTION, NORMALIZATION
from planflow_qt.backends.raystation.api import Scripting
from planflow_qt.backends.raystation.dose import TOTAL_DOSE, DoseQueries
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
_ALGORITHMS = {("Photons", DoseAlgorithm.COLLAPSED_CONE): "CCDose",
               ("Photons", DoseAlgorithm.MONTE_CARLO): "PhotonMonteCarlo",
               ("Protons", DoseAlgorithm.PENCIL_BEAM): "IonPencilBeam",
               ("Protons", DoseAlgorithm.COLLAPSED_CONE): "IonPencilBeam",
               ("Protons", DoseAlgorithm.MONTE_CARLO): "IonMonteCarlo"}


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

    def set_robustness(self, robustness: Robustness) -> None:
        """SaveRobustnessParameters: setup uncertainties in cm, density as a fraction."""
        parameters = self.optimization.OptimizationParameters
        self.call(f"{self.optimization_label}.OptimizationParameters", parameters, "SaveRobustnessParameters",
                  PositionUncertaintyAnterior=float(robustness.anterior_cm),
                  PositionUncertaintyPosterior=float(robustness.posterior_cm),
                  PositionUncertaintySuperior=float(robustness.superior_cm),
                  PositionUncertaintyInferior=float(robustness.inferior_cm),
                  PositionUncertaintyLeft=float(robustness.left_cm),
                  PositionUncertaintyRight=float(robustness.right_cm),
                  DensityUncertainty=float(robustness.density_percent) / 100.0,
                  UseReducedSetOfDensityShifts=False, PositionUncertaintySetting="Universal",
                  IndependentLeftRight=True, IndependentAnteriorPosterior=True, IndependentSuperiorInferior=True,
                  ComputeExactScenarioDoses=False, NamesOfNonPlanningExaminations=[],
                  PatientGeometryUncertaintyType="PerTreatmentCourse", PositionUncertaintyType="PerTreatmentCourse",
                  TreatmentCourseScenariosFactor=1000, PositionUncertaintyList=None,
                  PositionUncertaintyFormation="Automatic",
                  RobustMethodPerTreatmentCourse=_ROBUST_METHODS[robustness.method])

    def set_optimization_settings(self, settings: OptimizationSettings) -> None:
        """Iterations (int), tolerance (float), intermediate and final dose, auto-scaling to the prescription
        (`AutoScaleToPrescription`: not on PlanFlow's API page, but set this way by many clinics' scripts)."""
        parameters = self.optimization.OptimizationParameters
        algorithm, dose = parameters.Algorithm, parameters.DoseCalculation
        label = f"{self.optimization_label}.OptimizationParameters"
        self.assign(f"{label}.Algorithm", algorithm, "MaxNumberOfIterations", int(settings.iterations))
        self.assign(f"{label}.Algorithm", algorithm, "OptimalityTolerance", float(settings.tolerance))
        self.assign(f"{label}.DoseCalculation", dose, "ComputeIntermediateDose",
                    bool(settings.compute_intermediate_dose))
        self.assign(f"{label}.DoseCalculation", dose, "ComputeFinalDose", bool(settings.compute_final_dose))
        self.assign(self.optimization_label, self.optimization, "AutoScaleToPrescription",
                    bool(settings.auto_scale_to_prescription))

    def _functions(self) -> list[tuple[str, Any, bool]]:
        """(tag, function, is constraint) of the plan, objectives first; untagged ones get `{roi}_{type}_{n}`."""
        po = self.optimization
        objective = po.Objective
        found = [(f, False) for f in (objective.ConstituentFunctions if objective is not None else [])]
        found += [(f, True) for f in po.Constraints]
        out, used = [], set()
        for function, constraint in found:
            tag = function.Tag
            if not tag:
                kind = functions.function_type(function.DoseFunctionParameters)
                stem = f"{function.ForRegionOfInterest.Name}_{kind.value}"
                n = 1
                while f"{stem}_{n}" in used:
                    n += 1
                tag = f"{stem}_{n}"
            used.add(tag)
            out.append((tag, function, constraint))
        return out

    def _function(self, tag: str) -> tuple[Any, bool]:
        for found, function, constraint in self._functions():
            if found == tag:
                return function, constraint
        raise BackendError(f"no function tagged {tag!r} in the plan")

    def function_tags(self) -> list[str]:
        """Tags of the functions, objectives then constraints."""
        return [tag for tag, _, _ in self._functions()]

    def _flags(self, spec: FunctionSpec) -> tuple[dict[str, Any], dict[str, Any] | None]:
        common = {"FunctionType": spec.type.value, "RoiName": spec.roi, "IsConstraint": bool(spec.constraint),
                  "RestrictAllBeamsIndividually": False, "IsRobust": bool(spec.robust), "RestrictToBeamSet": None,
                  "UseRbeDose": False}
        older = None if len(spec.beams) > 1 else {**common, "RestrictToBeam": spec.beams[0] if spec.beams else None}
        return {**common, "RestrictToBeams": list(spec.beams)}, older

    def _write(self, tag: str, function: Any, fields: dict[str, Any]) -> None:
        parameters = function.DoseFunctionParameters
        for name, value in fields.items():
            self.assign(f"function {tag!r}.DoseFunctionParameters", parameters, name, value)

    def add_function(self, spec: FunctionSpec) -> None:
        """AddOptimizationFunction, then its Tag and DoseFunctionParameters fields."""
        tags = self.function_tags()
        tag = spec.tag
        if not tag:
            n = 1
            while f"{spec.roi}_{spec.type.value}_{n}" in tags:
                n += 1
            tag = f"{spec.roi}_{spec.type.value}_{n}"
        if tag in tags:
            raise BackendError(f"a function tagged {tag!r} already exists")
        newer, older = self._flags(spec)
        function = self.call_adapted(BEAM_RESTRICTION, self.optimization_label, self.optimization,
                                     "AddOptimizationFunction", newer, older)
        self.assign(f"function {tag!r}", function, "Tag", tag)
        self._write(tag, function, functions.parameter_fields(spec))
        self._beams_of[tag] = list(spec.beams)

    def update_function(self, tag: str, spec: FunctionSpec) -> None:
        """Change the function tagged `tag`: EditOptimizationFunction when type, ROI or flags change, then the
        fields that differ."""
        function, constraint = self._function(tag)
        current = functions.read_spec(function, constraint, tag, self._beams_of.get(tag, []))
        spec = spec.model_copy(update={"tag": tag})
        if (spec.type, spec.roi, spec.constraint, spec.robust, spec.beams) != (
                current.type, current.roi, current.constraint, current.robust, current.beams):
            newer, older = self._flags(spec)
            self.call_adapted(BEAM_RESTRICTION, self.optimization_label, self.optimization, "EditOptimizationFunction",
                              {**newer, "DoseBasedRoiFunction": function},
                              None if older is None else {**older, "DoseBasedRoiFunction": function})
            if function.Tag != tag:
                self.assign(f"function {tag!r}", function, "Tag", tag)
            self._write(tag, function, functions.parameter_fields(spec))
        else:
            self._write(tag, function, functions.changed_fields(current, spec))
        self._beams_of[tag] = list(spec.beams)

    def function_state(self, tag: str) -> FunctionState:
        """The function with its feedback value (`FunctionValue.FunctionValue`) and achieved level."""
        function, constraint = self._function(tag)
        spec = functions.read_spec(function, constraint, tag, self._beams_of.get(tag, []))
        feedback = function.FunctionValue
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

    def _dose_changed(self) -> None:
        self._achieved.clear()

    def run_optimization(self) -> None:
        """RunOptimization from the current state."""
        self._dose_changed()
        self.call(self.optimization_label, self.optimization, "RunOptimization")

    def reset_optimization(self) -> None:
        """ResetOptimization."""
        self._dose_changed()
        self.call(self.optimization_label, self.optimization, "ResetOptimization")

    def normalize_to_prescription(self) -> None:
        """Scale the beam set to its primary prescription (ScaleToPrimaryPrescriptionDoseReference, or
        NormalizeToPrescription with the prescription this run set)."""
        self._dose_changed()
        method = self.adapters.method(NORMALIZATION, self.beam_set)
        if method == NORMALIZATION.newer:
            self.call("beam_set", self.beam_set, method, LockedBeamNames=None,
                      EvaluateOptimizationFunctionsAfterScaling=True)
            return
        if self._prescription is None:
            raise BackendError(f"RayStation {self.adapters.version} normalizes with NormalizeToPrescription, which "
                               "needs the prescription: add a 'Prescription' node before normalizing")
        self.call("beam_set", self.beam_set, method, **prescription_keywords(self._prescription),
                  LockedBeamNames=None, EvaluateAfterScaling=True)

    def compute_final_dose(self, algorithm: DoseAlgorithm) -> None:
        """ComputeDose with the algorithm for the beam set's modality (protons: collapsed cone, the flows'
        default, means RayStation's ion pencil beam)."""
        self._dose_changed()
        modality = str(self.beam_set.Modality)
        name = _ALGORITHMS.get((modality, algorithm))
        if name is None:
            raise BackendError(f"RayStation has no {algorithm.value} final dose for {modality.lower()}: use "
                               f"{' or '.join(a.value for m, a in _ALGORITHMS if m == modality)}")
        self.call("beam_set", self.beam_set, "ComputeDose", ComputeBeamDoses=True, DoseAlgorithm=name,
                  ForceRecompute=False)
