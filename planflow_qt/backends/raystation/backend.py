"""RayStationBackend: the Backend protocol as RayStation scripting calls (`reference/raystation_api.md`).

Units are RayStation's: cGy (floats), cm, DVH query volumes as fractions 0-1, objective and prescription
volumes in percent 0-100, density uncertainty as a fraction; iterations are ints. Each node runs inside
`CompositeAction(<node title>)` (one undo step). The patient is saved only by `save()`.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from typing import Any

from planflow_qt.backends.base import BackendError, UserStopped
from planflow_qt.backends.raystation import functions, goals
from planflow_qt.backends.raystation.adapters import (
    BEAM_KEYWORDS,
    BEAM_RESTRICTION,
    GOAL_LEVEL,
    NORMALIZATION,
    PRESCRIPTION,
)
from planflow_qt.backends.raystation.api import Scripting
from planflow_qt.backends.raystation.session import Session
from planflow_qt.model.planning import (
    DVH_TYPES,
    EUD_TYPES,
    Arc,
    BooleanOperation,
    ClinicalGoal,
    DoseAlgorithm,
    DoseStatistic,
    FunctionSpec,
    FunctionState,
    FunctionType,
    GoalResult,
    GoalType,
    Margin,
    OptimizationSettings,
    PlanSetup,
    Prescription,
    PrescriptionType,
    ProtonBeam,
    RobustMethod,
    Robustness,
    RoiOperand,
    Technique,
)

log = logging.getLogger(__name__)

TOTAL_DOSE = "plan.TreatmentCourse.TotalDose"

_ROBUST_METHODS = {RobustMethod.COMPOSITE_WORST_CASE: "WeightedPowerMean",
                   RobustMethod.VOXELWISE_WORST_CASE: "VoxelwiseWorstCase"}
_SPOT_FIELDS = ("spot_spacing_scale", "layer_spacing_scale", "proximal_layers", "distal_layers", "lateral_margin_cm")
_ALGORITHMS = {("Photons", DoseAlgorithm.COLLAPSED_CONE): "CCDose",
               ("Photons", DoseAlgorithm.MONTE_CARLO): "PhotonMonteCarlo",
               ("Protons", DoseAlgorithm.PENCIL_BEAM): "IonPencilBeam",
               ("Protons", DoseAlgorithm.COLLAPSED_CONE): "IonPencilBeam",
               ("Protons", DoseAlgorithm.MONTE_CARLO): "IonMonteCarlo"}


def margin_settings(margin: Margin) -> dict[str, Any]:
    """A Margin as RayStation's MarginSettings dict (cm)."""
    return {"Type": margin.type.value, "Superior": float(margin.superior_cm), "Inferior": float(margin.inferior_cm),
            "Anterior": float(margin.anterior_cm), "Posterior": float(margin.posterior_cm),
            "Right": float(margin.right_cm), "Left": float(margin.left_cm)}


def _expression(operand: RoiOperand | None) -> dict[str, Any]:
    if operand is None:
        return {"Operation": "Union", "SourceRoiNames": [], "MarginSettings": margin_settings(Margin())}
    return {"Operation": operand.combine, "SourceRoiNames": list(operand.rois),
            "MarginSettings": margin_settings(operand.margin)}


class RayStationBackend(Session):
    """The Backend protocol in the running RayStation (or the test double installed in its place).

    `scripting` defaults to the module found by `api.find_scripting()`; the case, examination and plan are
    taken from RayStation when first needed.
    """

    name = "raystation"

    def __init__(self, scripting: Scripting | None = None):
        super().__init__(scripting)
        self._isocenter: dict[str, Any] | None = None
        self._prescription: Prescription | None = None
        self._beams_of: dict[str, list[str]] = {}
        self._achieved: dict[tuple[str, str], float | None] = {}
        self._contoured: list[str] | None = None

    # -- the case ----------------------------------------------------------------------------------------------
    def roi_names(self) -> list[str]:
        """Names of the ROIs of the case that have contours on the planning examination.

        Read once, then again after this backend made an ROI or the user had the window (`wait_for_user`).
        """
        if self._contoured is None:
            geometries = self.structure_set().RoiGeometries
            names = [roi.Name for roi in self.case.PatientModel.RegionsOfInterest]
            self._contoured = [n for n in names
                               if self.call(f"structure_set.RoiGeometries[{n!r}]", geometries[n], "HasContours")]
        return list(self._contoured)

    def roi_volume_cc(self, roi: str) -> float:
        """Volume of an ROI (cc)."""
        return float(self.call(f"structure_set.RoiGeometries[{roi!r}]", self.geometry(roi), "GetRoiVolume"))

    def _roi(self, name: str, roi_type: str, color: str) -> Any:
        """The ROI `name`: the existing one (its geometry is replaced) or a new one."""
        self._contoured = None
        model = self.case.PatientModel
        if name in model.RegionsOfInterest:
            return model.RegionsOfInterest[name]
        return self.call("case.PatientModel", model, "CreateRoi", Name=name, Color=color, Type=roi_type,
                         TissueName=None, RbeCellTypeName=None, RoiMaterial=None)

    def create_roi_algebra(self, name: str, a: RoiOperand, b: RoiOperand | None, operation: BooleanOperation,
                           result_margin: Margin, roi_type: str, color: str) -> None:
        """ROI `name` = (A op B) with margins, by CreateAlgebraGeometry."""
        roi = self._roi(name, roi_type, color)
        self.call(f"case.PatientModel.RegionsOfInterest[{name!r}]", roi, "CreateAlgebraGeometry", Examination=self.exam,
                  Algorithm="Auto", ExpressionA=_expression(a), ExpressionB=_expression(b),
                  ResultOperation=operation.value if b is not None else "None",
                  ResultMarginSettings=margin_settings(result_margin))

    def create_roi_margin(self, name: str, source: str, margin: Margin, roi_type: str, color: str) -> None:
        """ROI `name` = `source` expanded or contracted, by CreateMarginGeometry."""
        roi = self._roi(name, roi_type, color)
        self.call(f"case.PatientModel.RegionsOfInterest[{name!r}]", roi, "CreateMarginGeometry", Examination=self.exam,
                  SourceRoiName=source, MarginSettings=margin_settings(margin))

    def create_roi_wall(self, name: str, source: str, outward_cm: float, inward_cm: float, roi_type: str,
                        color: str) -> None:
        """A ring around `source`, by CreateWallGeometry (cm)."""
        roi = self._roi(name, roi_type, color)
        self.call(f"case.PatientModel.RegionsOfInterest[{name!r}]", roi, "CreateWallGeometry", Examination=self.exam,
                  SourceRoiName=source, OutwardDistance=float(outward_cm), InwardDistance=float(inward_cm))

    def create_roi_from_dose(self, name: str, threshold_cgy: float, roi_type: str, color: str) -> None:
        """ROI `name` from the isodose `threshold_cgy` of the plan's total dose."""
        dose = self.total_dose()
        roi = self._roi(name, roi_type, color)
        self.call(f"case.PatientModel.RegionsOfInterest[{name!r}]", roi, "CreateRoiGeometryFromDose",
                  DoseDistribution=dose, ThresholdLevel=float(threshold_cgy))

    # -- the plan ----------------------------------------------------------------------------------------------
    def create_plan(self, setup: PlanSetup) -> str:
        """A new plan with one beam set and its dose grid; return the plan name."""
        exam_name = self.exam.Name
        plan = self.call("case", self.case, "AddNewPlan", PlanName=setup.name, PlannedBy="", Comment="",
                         ExaminationName=exam_name, IsMedicalOncologyPlan=False, AllowDuplicateNames=False)
        protons = setup.technique is Technique.IMPT
        beam_set = self.call("plan", plan, "AddNewBeamSet", Name=setup.beam_set,
                             ExaminationName=exam_name, MachineName=setup.machine,
                             Modality="Protons" if protons else "Photons",
                             TreatmentTechnique="ProtonPencilBeamScanning" if protons else "VMAT",
                             PatientPosition=setup.patient_position, NumberOfFractions=int(setup.fractions),
                             CreateSetupBeams=False, UseLocalizationPointAsSetupIsocenter=False, Comment="")
        size = float(setup.dose_grid_cm)
        self.call("beam_set", beam_set, "SetDefaultDoseGrid", VoxelSize={"x": size, "y": size, "z": size})
        self.use_plan(plan, beam_set)
        return str(plan.Name)

    def use_current_plan(self) -> str:
        """Work on the plan and beam set that are open in RayStation; return the plan's name."""
        plan = self.current("Plan", "no plan is open in RayStation: open the plan to continue, or start the flow "
                                    "with 'New plan'")
        beam_set = self.current("BeamSet", "the open plan has no beam set selected: select one")
        self.use_plan(plan, beam_set)
        return str(plan.Name)

    def set_prescription(self, prescription: Prescription) -> None:
        """The primary prescription of the beam set (DoseVolume in percent)."""
        method = self.adapters.method(PRESCRIPTION, self.beam_set)
        self.call("beam_set", self.beam_set, method, **self._prescription_keywords(prescription),
                  RelativePrescriptionLevel=1.0)
        self._prescription = prescription

    @staticmethod
    def _prescription_keywords(prescription: Prescription) -> dict[str, Any]:
        volume = {PrescriptionType.DOSE_AT_VOLUME: prescription.volume_percent,
                  PrescriptionType.MEDIAN_DOSE: 50.0}.get(prescription.kind, 0.0)
        return {"RoiName": prescription.roi, "DoseVolume": float(volume),
                "PrescriptionType": prescription.kind.value, "DoseValue": float(prescription.dose_cgy)}

    def set_isocenter(self, roi: str | None = None, poi: str | None = None,
                      position_cm: tuple[float, float, float] | None = None) -> tuple[float, float, float]:
        """Isocenter data at an ROI's center, a POI or coordinates (cm), used by the beams added next."""
        if roi is not None:
            point = self.call(f"structure_set.RoiGeometries[{roi!r}]", self.geometry(roi), "GetCenterOfRoi")
        elif poi is not None:
            pois = self.structure_set().PoiGeometries
            if poi not in pois:
                raise BackendError(f"no POI named {poi!r}; POIs: {', '.join(p.OfPoi.Name for p in pois)}")
            point = pois[poi].Point
        elif position_cm is None:
            raise BackendError("the isocenter needs an ROI, a POI or a position")
        position = (float(point.x), float(point.y), float(point.z)) if position_cm is None else tuple(
            float(v) for v in position_cm)
        self._isocenter = self.call("beam_set", self.beam_set, "CreateDefaultIsocenterData",
                                    Position=dict(zip("xyz", position, strict=True)))
        return position  # type: ignore[return-value]

    def _need_isocenter(self) -> dict[str, Any]:
        if self._isocenter is None:
            raise BackendError("no isocenter: place an 'Isocenter' node before the beams")
        return self._isocenter

    def _create_beam(self, method: str, name: str, couch_deg: float, common: dict[str, Any],
                     quality: str | None) -> None:
        newer = {**common, "CouchRotationAngle": float(couch_deg), "CouchPitchAngle": 0.0, "CouchRollAngle": 0.0}
        older = {**common, "CouchAngle": float(couch_deg)}
        if quality is not None:
            newer["BeamQualityId"], older["Energy"] = quality, quality
        self.call_adapted(BEAM_KEYWORDS, "beam_set", self.beam_set, method, newer, older)
        log.debug("beam %s added", name)

    def add_vmat_arcs(self, arcs: list[Arc]) -> None:
        """One CreateArcBeam per arc at the isocenter (angles in IEC degrees)."""
        iso = self._need_isocenter()
        for arc in arcs:
            common = {"ArcStopGantryAngle": float(arc.gantry_stop_deg), "ArcRotationDirection": arc.direction.value,
                      "IsocenterData": iso, "Name": arc.name, "Description": "",
                      "GantryAngle": float(arc.gantry_start_deg), "CollimatorAngle": float(arc.collimator_deg)}
            self._create_beam("CreateArcBeam", arc.name, arc.couch_deg, common, arc.energy)

    def add_proton_beams(self, beams: list[ProtonBeam]) -> None:
        """One CreatePBSIonBeam per beam (snout, range shifter); spot and layer settings keep RayStation's."""
        iso = self._need_isocenter()
        for beam in beams:
            if any(getattr(beam, f) != ProtonBeam.model_fields[f].default for f in _SPOT_FIELDS):
                log.warning("beam %s: spot / layer spacing and margins are not set through the scripting "
                            "API here; RayStation's defaults apply", beam.name)
            common = {"ArcRotationDirection": "None", "ArcStopGantryAngle": None, "SnoutId": beam.snout or None,
                      "SpotTuneId": None, "RangeShifter": beam.range_shifter or None, "MinimumAirGap": None,
                      "MetersetRateSetting": "", "IsocenterData": iso, "Name": beam.name, "Description": "",
                      "GantryAngle": float(beam.gantry_deg), "CollimatorAngle": 0.0}
            self._create_beam("CreatePBSIonBeam", beam.name, beam.couch_deg, common, None)

    def _evaluation(self) -> Any:
        return self.plan.TreatmentCourse.EvaluationSetup

    def add_clinical_goals(self, goals_: list[ClinicalGoal], template: str | None, roi_map: dict[str, str]) -> None:
        """A template of the PatientDB (template ROI -> case ROI) and/or listed goals, in RayStation's units."""
        setup = self._evaluation()
        if template:
            db = self.current("PatientDB", "the patient database is not available")
            names = [t["Name"] for t in self.call("PatientDB", db, "GetClinicalGoalTemplateInfo")]
            if template not in names:
                raise BackendError(f"no clinical goal template {template!r}; templates: {', '.join(names)}")
            loaded = self.call("PatientDB", db, "LoadTemplateClinicalGoals", templateName=template, lockMode="Read")
            self.call("plan.TreatmentCourse.EvaluationSetup", setup, "ApplyClinicalGoalTemplate", Template=loaded,
                      AssociatedRoisAndPois=dict(roi_map), AssociatedBeamSets={},
                      AddClinicalGoalsDefinedOnTotalDose=True, ReplaceExistingClinicalGoals=False)
        for goal in goals_:
            level, parameter = goals.to_raystation(goal)
            common = {"RoiName": goal.roi, "GoalCriteria": goal.criterion.value, "GoalType": goal.type.value,
                      "ParameterValue": parameter, "IsComparativeGoal": False, "Priority": int(goal.priority)}
            self.call_adapted(GOAL_LEVEL, "plan.TreatmentCourse.EvaluationSetup", setup, "AddClinicalGoal",
                              {**common, "PrimaryAcceptanceLevel": level}, {**common, "AcceptanceLevel": level})

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
        """Iterations (int), tolerance (float), intermediate and final dose."""
        parameters = self.optimization.OptimizationParameters
        algorithm, dose = parameters.Algorithm, parameters.DoseCalculation
        label = f"{self.optimization_label}.OptimizationParameters"
        self.assign(f"{label}.Algorithm", algorithm, "MaxNumberOfIterations", int(settings.iterations))
        self.assign(f"{label}.Algorithm", algorithm, "OptimalityTolerance", float(settings.tolerance))
        self.assign(f"{label}.DoseCalculation", dose, "ComputeIntermediateDose",
                    bool(settings.compute_intermediate_dose))
        self.assign(f"{label}.DoseCalculation", dose, "ComputeFinalDose", bool(settings.compute_final_dose))

    # -- optimization functions --------------------------------------------------------------------------------
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
        self.call("beam_set", self.beam_set, method, **self._prescription_keywords(self._prescription),
                  LockedBeamNames=None, EvaluateAfterScaling=True)

    def compute_final_dose(self, algorithm: DoseAlgorithm) -> None:
        """ComputeDose with the algorithm for the beam set's modality."""
        self._dose_changed()
        modality = str(self.beam_set.Modality)
        name = _ALGORITHMS.get((modality, algorithm))
        if name is None:
            raise BackendError(f"RayStation has no {algorithm.value} final dose for {modality.lower()}: use "
                               f"{' or '.join(a.value for m, a in _ALGORITHMS if m == modality)}")
        self.call("beam_set", self.beam_set, "ComputeDose", ComputeBeamDoses=True, DoseAlgorithm=name,
                  ForceRecompute=False)

    # -- dose queries ------------------------------------------------------------------------------------------
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

    # -- the session -------------------------------------------------------------------------------------------
    def wait_for_user(self, message: str) -> None:
        """await_user_input: RayStation's window is unlocked until the user continues."""
        self._dose_changed()
        self._contoured = None
        try:
            self.scripting.await_user_input(message)
        except Exception as exc:
            raise UserStopped(f"RayStation's await_user_input ended with {type(exc).__name__}: {exc}") from exc

    def save(self) -> None:
        """patient.Save()."""
        patient = self.current("Patient", "no patient is open in RayStation")
        self.call("patient", patient, "Save")

    def progress(self, message: str, percent: float | None = None) -> None:
        """set_progress in RayStation's status bar (-1: no percentage)."""
        percentage = -1 if percent is None else round(min(max(percent, 0.0), 100.0))
        self.scripting.set_progress(message, percentage=percentage)

    def step(self, label: str) -> AbstractContextManager[Any]:
        """CompositeAction(label): the node's calls form one undo step."""
        return self.scripting.CompositeAction(label)
