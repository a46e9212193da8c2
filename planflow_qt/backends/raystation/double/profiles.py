"""API generations of the double: the keyword names of every method, and what changed between versions.

Signatures use the newest names (RayStation 2025, as in `reference/raystation_api.md`); a profile renames or
drops keywords and hides methods for an older generation. `?` marks an optional keyword.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

_ARC_BEAM = ("ArcStopGantryAngle ArcRotationDirection BeamQualityId IsocenterData Name ?Description GantryAngle "
             "?CouchRotationAngle ?CouchPitchAngle ?CouchRollAngle ?CollimatorAngle")
_ION_BEAM = ("?ArcRotationDirection ?ArcStopGantryAngle ?SnoutId ?SpotTuneId ?RangeShifter ?MinimumAirGap "
             "?MetersetRateSetting IsocenterData Name ?Description GantryAngle ?CouchRotationAngle "
             "?CouchPitchAngle ?CouchRollAngle ?CollimatorAngle")
_FUNCTION_FLAGS = ("?IsConstraint ?RestrictAllBeamsIndividually ?RestrictToBeams ?IsRobust ?RestrictToBeamSet "
                   "?UseRbeDose")
_PRESCRIPTION = "RoiName DoseVolume PrescriptionType DoseValue ?RelativePrescriptionLevel"
_ROBUSTNESS = (
    "PositionUncertaintyAnterior PositionUncertaintyPosterior PositionUncertaintySuperior "
    "PositionUncertaintyInferior PositionUncertaintyLeft PositionUncertaintyRight DensityUncertainty "
    "?UseReducedSetOfDensityShifts ?PositionUncertaintySetting ?IndependentLeftRight "
    "?IndependentAnteriorPosterior ?IndependentSuperiorInferior ?ComputeExactScenarioDoses "
    "?NamesOfNonPlanningExaminations ?PatientGeometryUncertaintyType ?PositionUncertaintyType "
    "?TreatmentCourseScenariosFactor ?PositionUncertaintyList ?PositionUncertaintyFormation "
    "?RobustMethodPerTreatmentCourse")

SIGNATURES: dict[str, str] = {
    # patient, case, ROIs
    "Save": "",
    "AddNewPlan": "PlanName ?PlannedBy ?Comment ExaminationName ?IsMedicalOncologyPlan ?AllowDuplicateNames",
    "CreateRoi": "Name Color Type ?TissueName ?RbeCellTypeName ?RoiMaterial",
    "CreateAlgebraGeometry": ("Examination ?Algorithm ExpressionA ?ExpressionB ?ResultOperation "
                              "?ResultMarginSettings"),
    "CreateMarginGeometry": "Examination SourceRoiName MarginSettings",
    "CreateWallGeometry": "Examination SourceRoiName OutwardDistance InwardDistance",
    "CreateRoiGeometryFromDose": "DoseDistribution ThresholdLevel",
    "DeleteRoi": "",
    "HasContours": "",
    "GetRoiVolume": "",
    "GetCenterOfRoi": "",
    # plan and beam set
    "AddNewBeamSet": ("Name ExaminationName MachineName Modality TreatmentTechnique PatientPosition "
                      "NumberOfFractions ?CreateSetupBeams ?UseLocalizationPointAsSetupIsocenter ?Comment"),
    "AddRoiPrescriptionDoseReference": _PRESCRIPTION,
    "AddDosePrescriptionToRoi": _PRESCRIPTION,
    "SetDefaultDoseGrid": "VoxelSize",
    "CreateDefaultIsocenterData": "Position",
    "CreateArcBeam": _ARC_BEAM,
    "CreatePBSIonBeam": _ION_BEAM,
    "ComputeDose": "?ComputeBeamDoses DoseAlgorithm ?ForceRecompute",
    "NormalizeToPrescription": ("RoiName DoseValue DoseVolume PrescriptionType ?LockedBeamNames "
                                "?EvaluateAfterScaling"),
    "ScaleToPrimaryPrescriptionDoseReference": "?LockedBeamNames ?EvaluateOptimizationFunctionsAfterScaling",
    # optimization
    "AddOptimizationFunction": "FunctionType RoiName " + _FUNCTION_FLAGS,
    "EditOptimizationFunction": "FunctionType DoseBasedRoiFunction RoiName " + _FUNCTION_FLAGS,
    "DeleteFunction": "",
    "RunOptimization": "",
    "ResetOptimization": "",
    "SaveRobustnessParameters": _ROBUSTNESS,
    # dose and evaluation
    "GetDoseAtRelativeVolumes": "RoiName RelativeVolumes",
    "GetRelativeVolumeAtDoseValues": "RoiName DoseValues",
    "GetDoseStatistic": "RoiName DoseType",
    "AddClinicalGoal": ("RoiName GoalCriteria GoalType PrimaryAcceptanceLevel ?ParameterValue ?IsComparativeGoal "
                        "?Priority"),
    "ApplyClinicalGoalTemplate": ("Template ?AssociatedRoisAndPois ?AssociatedBeamSets "
                                  "?AddClinicalGoalsDefinedOnTotalDose ?ReplaceExistingClinicalGoals"),
    "GetClinicalGoalValue": "",
    "EvaluateClinicalGoal": "",
    # databases and the application
    "LoadTemplateClinicalGoals": "templateName ?lockMode",
    "GetClinicalGoalTemplateInfo": "",
    "QueryCommissionedMachineInfo": "Filter",
    "GetApplicationVersion": "",
}


@dataclass(frozen=True)
class Signature:
    """Keyword names a method accepts in one generation."""

    required: frozenset[str]
    optional: frozenset[str]

    @property
    def names(self) -> frozenset[str]:
        return self.required | self.optional


@dataclass(frozen=True)
class ApiProfile:
    """One API generation: version string, whether the `raystation` package exists, and the name changes.

    `renames[method][new] = old` (None drops the keyword), `absent` methods and attributes do not exist,
    `extra[method]` adds keywords in the signature syntax.
    """

    generation: str
    version: str
    raystation_package: bool
    renames: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    extra: Mapping[str, str] = field(default_factory=dict)

    def signature(self, method: str) -> Signature:
        """The keywords `method` takes in this generation (generation names)."""
        renames = self.renames.get(method, {})
        required, optional = set(), set()
        words = (SIGNATURES[method] + " " + self.extra.get(method, "")).split()
        for word in words:
            name = word.lstrip("?")
            name = renames.get(name, name)
            if name is not None:
                (optional if word.startswith("?") else required).add(name)
        return Signature(frozenset(required), frozenset(optional))

    def to_newest(self, method: str, kwargs: Mapping[str, object]) -> dict[str, object]:
        """Keywords of a call translated to the newest names, which the double's methods read."""
        back = {old: new for new, old in self.renames.get(method, {}).items() if old is not None}
        return {back.get(name, name): value for name, value in kwargs.items()}


_OLD_GOALS = {"AddClinicalGoal": {"PrimaryAcceptanceLevel": "AcceptanceLevel"}}
_OLD_BEAMS = {"BeamQualityId": "Energy", "CouchRotationAngle": "CouchAngle", "CouchPitchAngle": None,
              "CouchRollAngle": None}
_OLD_RESTRICT = {"RestrictToBeams": "RestrictToBeam"}

PROFILES: dict[str, ApiProfile] = {
    "2025": ApiProfile(
        generation="2025", version="2025.0.0.0 (PlanFlow test double)", raystation_package=True,
        absent=frozenset({"AddDosePrescriptionToRoi", "NormalizeToPrescription", "AcceptanceLevel"})),
    "2023B": ApiProfile(
        generation="2023B", version="2023B (PlanFlow test double)", raystation_package=False,
        renames=_OLD_GOALS,
        absent=frozenset({"AddDosePrescriptionToRoi", "ScaleToPrimaryPrescriptionDoseReference",
                          "PrimaryAcceptanceLevel"}),
        extra={"RunOptimization": "?ScalingOfSoftMachineConstraints"}),
    "8B": ApiProfile(
        generation="8B", version="8B (PlanFlow test double)", raystation_package=False,
        renames={**_OLD_GOALS, "CreateArcBeam": _OLD_BEAMS, "CreatePBSIonBeam": _OLD_BEAMS,
                 "AddOptimizationFunction": _OLD_RESTRICT, "EditOptimizationFunction": _OLD_RESTRICT},
        absent=frozenset({"AddRoiPrescriptionDoseReference", "ScaleToPrimaryPrescriptionDoseReference",
                          "PrimaryAcceptanceLevel"})),
}
"""2025: the newest names. 2023B: `AcceptanceLevel`, `NormalizeToPrescription`, no `raystation` package.
8B (before RayStation 9): also `Energy`/`CouchAngle`, `RestrictToBeam` (one name), `AddDosePrescriptionToRoi`."""
