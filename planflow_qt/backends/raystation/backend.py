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
from planflow_qt.backends.raystation import beams
from planflow_qt.backends.raystation import goals as goal_units
from planflow_qt.backends.raystation.api import Scripting
from planflow_qt.backends.raystation.clashes import case_clashes
from planflow_qt.backends.raystation.optimization import prescription_keywords
from planflow_qt.backends.raystation.robust import ScenarioEvaluation
from planflow_qt.catalog.spec import PlanState
from planflow_qt.model.planning import (
    Arc,
    BeamSettings,
    BooleanOperation,
    ClinicalGoal,
    Margin,
    PlanSetup,
    Prescription,
    ProtonBeam,
    RoiOperand,
    Technique,
)

log = logging.getLogger(__name__)

_SPOT_FIELDS = ("spot_spacing_scale", "layer_spacing_scale", "proximal_layers", "distal_layers", "lateral_margin_cm")


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


class RayStationBackend(ScenarioEvaluation):
    """The Backend protocol in the running RayStation (or the test double installed in its place).

    `scripting` defaults to the module found by `api.find_scripting()`; the case, examination and plan are
    taken from RayStation when first needed. ROIs, plan, beams and goals are here; dose queries in
    `dose.DoseQueries`, functions and optimization in `optimization.OptimizationCalls`, robust evaluation in
    `robust.ScenarioEvaluation`, beam settings in `beams`.
    """

    name = "raystation"
    exports_dicom = True

    def __init__(self, scripting: Scripting | None = None):
        super().__init__(scripting)
        self._isocenter: dict[str, Any] | None = None
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

    def _roi(self, name: str, roi_type: str, color: str) -> Any:
        """The ROI `name`: the existing one (its geometry is replaced) or a new one."""
        self._contoured = None
        model = self.case.PatientModel
        if name in model.RegionsOfInterest:
            return model.RegionsOfInterest[name]
        return self.call("case.PatientModel", model, "CreateRoi", Name=name, Color=color, Type=roi_type)

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

    def primary_prescription(self) -> Prescription | None:
        """The beam set's primary prescription as it stands (None when it has none, or of a kind PlanFlow
        does not express)."""
        primary = self.beam_set.Prescription.PrimaryPrescriptionDoseReference
        if primary is None:
            return None
        return beams.read_prescription(primary)

    def open_plan_states(self) -> frozenset[PlanState]:
        """What the plan and beam set open in RayStation have (nothing when none is open): beams, a primary
        prescription, optimization functions, a dose. Read only."""
        if self.scripting.current("Plan") is None or self.scripting.current("BeamSet") is None:
            return frozenset()
        self.use_current_plan()
        beam_set = self.beam_set
        has = {PlanState.BEAMS: len(beam_set.Beams) > 0,
               PlanState.PRESCRIPTION: beam_set.Prescription.PrimaryPrescriptionDoseReference is not None,
               PlanState.FUNCTIONS: bool(self.function_tags()),
               PlanState.DOSE: beam_set.FractionDose.DoseValues is not None}
        return frozenset(state for state, present in has.items() if present)

    def preflight_problems(self, analysis: Any) -> list[tuple[str, str, str]]:
        """(node id, field, message) of what RayStation would refuse in this flow before anything changes: a
        plan or uncontoured ROI of a name the flow creates, a machine not commissioned, and on the current plan
        a prescription that differs from the beam set's primary one."""
        return case_clashes(self, analysis) + beams.prescription_problems(self, analysis)

    def set_prescription(self, prescription: Prescription) -> None:
        """The primary prescription of the beam set (DoseVolume in percent).

        `AddRoiPrescriptionDoseReference` makes a prescription primary only when the beam set has none: an
        equal primary prescription is kept; a different one refuses the call (the plan would be scaled to it).
        """
        if self.beam_set.Prescription.PrimaryPrescriptionDoseReference is not None:
            current = self.primary_prescription()
            if beams.same_prescription(current, prescription):
                log.info("the beam set's primary prescription is already %s", beams.describe(prescription))
                self._prescription = prescription
                return
            raise BackendError(beams.prescription_conflict(current, prescription))
        self.call("beam_set", self.beam_set, "AddRoiPrescriptionDoseReference", **prescription_keywords(prescription),
                  RelativePrescriptionLevel=1.0)
        self._prescription = prescription

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
        position = beams.coordinates(point) if position_cm is None else tuple(float(v) for v in position_cm)
        self._isocenter = self.call("beam_set", self.beam_set, "CreateDefaultIsocenterData",
                                    Position=dict(zip("xyz", position, strict=True)))
        return position  # type: ignore[return-value]

    def _need_isocenter(self) -> dict[str, Any]:
        if self._isocenter is None:
            raise BackendError("no isocenter: place an 'Isocenter' node before the beams")
        return self._isocenter

    def add_vmat_arcs(self, arcs: list[Arc]) -> None:
        """One CreateArcBeam per arc at the isocenter (angles in IEC degrees)."""
        iso = self._need_isocenter()
        for arc in arcs:
            self.call("beam_set", self.beam_set, "CreateArcBeam", ArcStopGantryAngle=float(arc.gantry_stop_deg),
                      ArcRotationDirection=arc.direction.value, BeamQualityId=arc.energy, IsocenterData=iso,
                      Name=arc.name, Description="", GantryAngle=float(arc.gantry_start_deg),
                      CouchRotationAngle=float(arc.couch_deg), CouchPitchAngle=0.0, CouchRollAngle=0.0,
                      CollimatorAngle=float(arc.collimator_deg))

    def add_proton_beams(self, beams: list[ProtonBeam]) -> None:
        """One CreatePBSIonBeam per beam (snout, range shifter); spot and layer settings keep RayStation's."""
        iso = self._need_isocenter()
        for beam in beams:
            if any(getattr(beam, f) != ProtonBeam.model_fields[f].default for f in _SPOT_FIELDS):
                log.warning("beam %s: spot / layer spacing and margins are not set through the scripting "
                            "API here; RayStation's defaults apply", beam.name)
            keywords: dict[str, Any] = {
                "ArcRotationDirection": "None", "ArcStopGantryAngle": None, "MinimumAirGap": None,
                "MetersetRateSetting": "", "IsocenterData": iso, "Name": beam.name, "Description": "",
                "GantryAngle": float(beam.gantry_deg), "CouchRotationAngle": float(beam.couch_deg),
                "CouchPitchAngle": 0.0, "CouchRollAngle": 0.0, "CollimatorAngle": 0.0}
            if beam.snout:
                keywords["SnoutId"] = beam.snout
            if beam.range_shifter:
                keywords["RangeShifter"] = beam.range_shifter
            keywords.update(self.adapters.by_version("PBS beam spot tune", {}, {"SpotTuneId": "4.0"}))
            self.call("beam_set", self.beam_set, "CreatePBSIonBeam", **keywords)

    def set_beam_settings(self, settings: BeamSettings) -> None:
        """Jaws, arc conversion and fluence protection of photon beams, or the avoidance ROI of proton beams,
        for every beam of the beam set (see `beams.apply_settings`)."""
        beams.apply_settings(self, settings)

    def export_dicom(self, folder: str) -> None:
        """ScriptableDicomExport to a folder: the planning CT, its structure set, the beam set (RT plan) and
        its physical dose."""
        identifier = self.call("beam_set", self.beam_set, "BeamSetIdentifier")
        exam = self.exam.Name
        self.call("case", self.case, "ScriptableDicomExport", ExportFolderPath=str(folder), Examinations=[exam],
                  RtStructureSetsForExaminations=[exam], BeamSets=[identifier],
                  PhysicalBeamSetDoseForBeamSets=[identifier], RtRadiationSetForBeamSets=[identifier],
                  IgnorePreConditionWarnings=False)

    def add_clinical_goals(self, goals: list[ClinicalGoal], template: str | None, roi_map: dict[str, str]) -> None:
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
        for goal in goals:
            level, parameter = goal_units.to_raystation(goal)
            self.call("plan.TreatmentCourse.EvaluationSetup", setup, "AddClinicalGoal", RoiName=goal.roi,
                      GoalCriteria=goal.criterion.value, GoalType=goal.type.value, PrimaryAcceptanceLevel=level,
                      ParameterValue=parameter, IsComparativeGoal=False, Priority=int(goal.priority),
                      AssociateToPlan=True)

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
        """CompositeAction(label): the node's calls form one undo step. The plan's functions are read again
        in each node (the user or another script may have changed them in between)."""
        self._functions_changed()
        return self.scripting.CompositeAction(label)
