"""The double's plan, beam set and beams (total dose and goals: `evaluation.py`).

One beam set per plan. Dose comes from the simulated backend's plan, which is the most recently created
one: dose operations on an older plan raise `SystemError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planflow_qt.backends.raystation.double.base import Collection, Prop, RsObject, number, position, rs_method
from planflow_qt.backends.raystation.double.evaluation import FractionDose, TreatmentCourse
from planflow_qt.backends.raystation.double.optimization import PlanOptimization
from planflow_qt.model.planning import (
    Arc,
    Direction,
    DoseAlgorithm,
    PlanSetup,
    Prescription,
    PrescriptionType,
    ProtonBeam,
    Technique,
)

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.double.world import World

_PHOTON_ALGORITHMS = {"CCDose": DoseAlgorithm.COLLAPSED_CONE, "PhotonMonteCarlo": DoseAlgorithm.MONTE_CARLO}
_TECHNIQUES = {("Photons", "VMAT"): Technique.VMAT, ("Protons", "ProtonPencilBeamScanning"): Technique.IMPT}
_PRESCRIPTION_TYPES = ("DoseAtVolume", "MedianDose", "AverageDose", "DoseAtAbsoluteVolume", "NearMinimumDose",
                       "NearMaximumDose")


class Beam(RsObject):
    """A beam of the beam set, as created."""

    def __init__(self, world: World, path: str, settings: dict[str, Any]):
        super().__init__(world, path)
        self._settings = settings

    @property
    def Name(self) -> str:
        return self._settings["Name"]

    @property
    def GantryAngle(self) -> float:
        return float(self._settings["GantryAngle"])

    @property
    def ArcStopGantryAngle(self) -> float | None:
        return self._settings.get("ArcStopGantryAngle")


class PhotonBeam(Beam):
    """A photon (arc) beam; an ROI can be fluence-protected."""

    _stub_class = "PhotonBeam"

    _protected: tuple[str, bool] | None = None

    def _protect(self, roi: Any, entrance_only: bool) -> None:
        rois = self._world.case.PatientModel.RegionsOfInterest
        if not isinstance(roi, str) or roi not in rois or not rois[roi]._has_geometry:
            raise SystemError(f"ROI {roi!r} not found or without contours")
        self._protected = (roi, bool(entrance_only))

    @rs_method
    def SetFluenceProtectRoi(self, **kw: Any) -> None:
        self._protect(kw["RoiName"], kw["EntranceOnly"])

    @rs_method
    def SetTreatOrProtectRoi(self, **kw: Any) -> None:
        self._protect(kw.get("RoiName"), False)


class IonBeam(Beam):
    """A pencil-beam scanning proton beam."""

    _stub_class = "IonBeam"


class DoseComputationSettings(RsObject):
    """The algorithm of a beam set's final dose."""

    _stub_class = "DoseComputationSettings"
    DoseAlgorithm = Prop(str, None, nullable=True)


class FractionationPattern(RsObject):
    """The number of fractions of a beam set."""

    _stub_class = "FractionationPattern"

    def __init__(self, world: World, path: str, fractions: int):
        super().__init__(world, path)
        self._fractions = fractions

    NumberOfFractions = property(lambda self: self._fractions)


class RoiPrescription(RsObject):
    """A prescription on an ROI: dose, type and volume."""

    _stub_class = "RoiPrescriptionDoseReference"

    def __init__(self, world: World, path: str, prescription: Prescription):
        super().__init__(world, path)
        self._prescription = prescription

    OnStructure = property(lambda self: self._world.case.PatientModel.RegionsOfInterest[self._prescription.roi])
    DoseValue = property(lambda self: self._prescription.dose_cgy)
    PrescriptionType = property(lambda self: self._prescription.kind.value)
    DoseVolume = property(lambda self: self._prescription.volume_percent
                          if self._prescription.kind is PrescriptionType.DOSE_AT_VOLUME else 0.0)


class Prescriptions(RsObject):
    """The prescriptions of a beam set; the first becomes the primary one."""

    _stub_class = "Prescription"

    def __init__(self, world: World, path: str):
        super().__init__(world, path)
        self._references: list[RoiPrescription] = []

    PrimaryPrescriptionDoseReference = property(lambda self: self._references[0] if self._references else None)
    PrescriptionDoseReferences = property(lambda self: list(self._references))


class BeamSet(RsObject):
    """A beam set: prescription, isocenter, arcs or PBS beams, dose computation, scaling, scenario groups."""

    _stub_class = "TreatmentSetupIncludingRadiationSet"

    def __init__(self, world: World, plan: Plan, kw: dict[str, Any], number_: int):
        super().__init__(world, f"case.TreatmentPlans[{plan.Name!r}].BeamSets[{kw['Name']!r}]")
        self._plan, self._kw, self._number = plan, kw, number_
        self._beams = Collection(world, f"{self._path}.Beams")
        self._isocenter: tuple[float, float, float] | None = None
        self._prescriptions = Prescriptions(world, f"{self._path}.Prescription")
        self._auto_scale = True
        self._fraction_dose = FractionDose(world, plan, self, f"{self._path}.FractionDose")
        self._pattern = FractionationPattern(world, f"{self._path}.FractionationPattern", kw["NumberOfFractions"])

    DicomPlanLabel = property(lambda self: self._kw["Name"])
    Modality = property(lambda self: self._kw["Modality"])
    Number = property(lambda self: self._number)
    Beams = property(lambda self: self._beams)
    Prescription = property(lambda self: self._prescriptions)
    FractionDose = property(lambda self: self._fraction_dose)
    FractionationPattern = property(lambda self: self._pattern)

    @property
    def _fractions(self) -> int:
        return int(self._kw["NumberOfFractions"])

    @property
    def _primary(self) -> Prescription | None:
        primary = self._prescriptions.PrimaryPrescriptionDoseReference
        return None if primary is None else primary._prescription

    def _prescription_of(self, kw: dict[str, Any]) -> Prescription:
        rois = self._world.case.PatientModel.RegionsOfInterest
        if kw["RoiName"] not in rois or not rois[kw["RoiName"]]._has_geometry:
            raise SystemError(f"ROI {kw['RoiName']!r} not found or without contours")
        kind_name = kw.get("PrescriptionType", "DoseAtVolume")
        if kind_name not in _PRESCRIPTION_TYPES:
            raise SystemError(f"unknown PrescriptionType {kind_name!r}")
        try:
            kind = PrescriptionType(kind_name)
        except ValueError:
            raise SystemError(f"PrescriptionType {kind_name!r} is not simulated") from None
        dose = number(kw.get("DoseValue", 0.0), "DoseValue", 0.0)
        volume = number(kw.get("DoseVolume", 0.0), "DoseVolume", 0.0, 100.0)
        return Prescription(roi=kw["RoiName"], dose_cgy=dose, kind=kind,
                            volume_percent=volume if kind is PrescriptionType.DOSE_AT_VOLUME else 95.0)

    @rs_method
    def AddRoiPrescriptionDoseReference(self, **kw: Any) -> None:
        """A prescription; it becomes the primary one only when the beam set has none."""
        prescription = self._prescription_of(kw)
        references = self._prescriptions._references
        references.append(RoiPrescription(self._world, f"{self._prescriptions._path}.PrescriptionDoseReferences"
                                                        f"[{len(references)}]", prescription))
        if len(references) == 1:
            self._plan._require_sim()
            self._world.sim.set_prescription(prescription)

    @rs_method
    def SetAutoScaleToPrimaryPrescription(self, **kw: Any) -> None:
        self._auto_scale = bool(kw.get("AutoScale", True))

    @rs_method
    def SetDefaultDoseGrid(self, **kw: Any) -> RsObject:
        for size in position(kw["VoxelSize"], "VoxelSize"):
            number(size, "VoxelSize", 0.05, 1.0)
        return self

    @rs_method
    def CreateDefaultIsocenterData(self, **kw: Any) -> dict[str, Any]:
        x, y, z = position(kw["Position"], "Position")
        return {"Position": {"x": x, "y": y, "z": z}, "Name": f"{self.DicomPlanLabel} ISO",
                "NameOfIsocenterToRef": "", "Color": "98, 184, 234"}

    def _place(self, kw: dict[str, Any]) -> None:
        data = kw.get("IsocenterData")
        if not isinstance(data, dict) or "Position" not in data:
            raise SystemError("IsocenterData must come from CreateDefaultIsocenterData")
        center = position(data["Position"], "IsocenterData['Position']")
        if self._isocenter is not None and center != self._isocenter:
            raise SystemError("the test double supports one isocenter per beam set")
        name = kw.get("Name")
        if not isinstance(name, str) or not 0 < len(name) <= 16 or name in self._beams:
            raise SystemError(f"beam name {name!r} is empty, longer than 16 characters or already used")
        for angle in ("GantryAngle", "ArcStopGantryAngle", "CollimatorAngle", "CouchRotationAngle"):
            if kw.get(angle) is not None:
                number(kw[angle], angle, 0.0, 359.999)
        self._plan._require_sim()
        if self._isocenter is None:
            self._world.sim.set_isocenter(position_cm=center)
            self._isocenter = center

    @rs_method
    def CreateArcBeam(self, **kw: Any) -> Beam:
        if self.Modality != "Photons":
            raise SystemError("CreateArcBeam needs a photon beam set")
        self._place(kw)
        if kw.get("ArcRotationDirection") not in ("Clockwise", "CounterClockwise"):
            raise SystemError(f"ArcRotationDirection {kw.get('ArcRotationDirection')!r} is not an arc direction")
        if not isinstance(kw.get("BeamQualityId"), str):
            raise SystemError(f"the beam quality is a string such as '6', not {kw.get('BeamQualityId')!r}")
        arc = Arc(name=kw["Name"], energy=kw["BeamQualityId"], gantry_start_deg=kw.get("GantryAngle", 0.0),
                  gantry_stop_deg=kw["ArcStopGantryAngle"], direction=Direction(kw["ArcRotationDirection"]),
                  collimator_deg=kw.get("CollimatorAngle", 0.0), couch_deg=kw.get("CouchRotationAngle", 0.0))
        self._world.sim.add_vmat_arcs([arc])
        beam = self._beams._add(PhotonBeam(self._world, f"{self._path}.Beams[{arc.name!r}]", kw))
        self._plan._optimization._add_beam(beam)
        return beam

    @rs_method
    def CreatePBSIonBeam(self, **kw: Any) -> Beam:
        if self.Modality != "Protons":
            raise SystemError("CreatePBSIonBeam needs a proton beam set")
        self._place(kw)
        beam = ProtonBeam(name=kw["Name"], gantry_deg=kw.get("GantryAngle", 0.0),
                          couch_deg=kw.get("CouchRotationAngle", 0.0), snout=kw.get("SnoutId") or "",
                          range_shifter=kw.get("RangeShifter") or "")
        self._world.sim.add_proton_beams([beam])
        created = self._beams._add(IonBeam(self._world, f"{self._path}.Beams[{beam.name!r}]", kw))
        self._plan._optimization._add_beam(created)
        return created

    def _final_algorithm(self) -> DoseAlgorithm:
        name = self._fraction_dose.InputSettingsForFinalDose.DoseAlgorithm
        if self.Modality == "Photons":
            algorithms = _PHOTON_ALGORITHMS
        else:
            pencil, monte_carlo = self._world.profile.pbs_algorithms
            algorithms = {pencil: DoseAlgorithm.PENCIL_BEAM, monte_carlo: DoseAlgorithm.MONTE_CARLO}
        if name is None:
            return next(iter(algorithms.values()))
        if name not in algorithms:
            raise SystemError(f"DoseAlgorithm {name!r} cannot compute a {self.Modality.lower()} dose here; "
                              f"algorithms: {', '.join(algorithms)}")
        return algorithms[name]

    @rs_method
    def ComputeDose(self, **kw: Any) -> None:
        algorithm = self._final_algorithm()
        self._plan._require_sim()
        self._world.sim.compute_final_dose(algorithm)

    @rs_method
    def ScaleToPrimaryPrescriptionDoseReference(self, **kw: Any) -> None:
        if self._primary is None:
            raise SystemError("the beam set has no primary prescription")
        self._plan._require_sim()
        self._world.sim.normalize_to_prescription()

    @rs_method
    def BeamSetIdentifier(self) -> str:
        return f"{self._plan.Name}:{self.DicomPlanLabel}"

    @rs_method
    def CreateRadiationSetScenarioGroup(self, **kw: Any) -> RsObject:
        from planflow_qt.backends.raystation.double.scenarios import ScenarioGroup

        self._plan._require_sim()
        groups = self._world.case.TreatmentDelivery._groups
        name = kw["Name"]
        if not isinstance(name, str) or not name or name in groups:
            raise SystemError(f"scenario group name {name!r} is empty or already used")
        group = groups._add(ScenarioGroup(self._world, self, name, kw))
        if kw.get("ComputeScenarioDosesAfterGroupCreation", True):
            group._compute()
        return group


class Plan(RsObject):
    """A treatment plan with one beam set and its optimization."""

    _stub_class = "TreatmentPlan"

    def __init__(self, world: World, name: str, comment: str):
        super().__init__(world, f"case.TreatmentPlans[{name!r}]")
        self._name = name
        self._beam_sets = Collection(world, f"{self._path}.BeamSets", key="DicomPlanLabel")
        self._optimizations = Collection(world, f"{self._path}.PlanOptimizations", key=None)
        self._course = TreatmentCourse(world, self)
        self._comment = comment

    Name = property(lambda self: self._name)
    BeamSets = property(lambda self: self._beam_sets)
    PlanOptimizations = property(lambda self: self._optimizations)
    TreatmentCourse = property(lambda self: self._course)
    Comment = property(lambda self: self._comment)

    def _require_sim(self) -> None:
        if self._world.sim_plan is not self:
            raise SystemError(f"the test double computes dose for the most recently created plan only, "
                              f"not {self._name!r}")

    @rs_method
    def AddNewBeamSet(self, **kw: Any) -> BeamSet:
        if len(self._beam_sets):
            raise SystemError("the test double supports one beam set per plan")
        kw = {"Modality": "Photons", "TreatmentTechnique": "Undefined", "PatientPosition": "HeadFirstSupine", **kw}
        technique = _TECHNIQUES.get((kw["Modality"], kw["TreatmentTechnique"]))
        if technique is None:
            raise SystemError(f"{kw['Modality']} {kw['TreatmentTechnique']} is not simulated: use Photons VMAT "
                              "or Protons ProtonPencilBeamScanning")
        machines = self._world.machines
        if machines.get(kw["MachineName"]) != kw["Modality"]:
            raise SystemError(f"no commissioned {kw['Modality'].lower()} machine named {kw['MachineName']!r}")
        fractions = kw.get("NumberOfFractions", 1)
        if isinstance(fractions, bool) or not isinstance(fractions, int) or fractions < 1:
            raise SystemError(f"NumberOfFractions must be a positive integer, not {fractions!r}")
        name = kw["Name"]
        if not isinstance(name, str) or not 0 < len(name) <= 16:
            raise SystemError(f"beam set name {name!r} must have 1-16 characters")
        self._world.sim.create_plan(PlanSetup(name=self._name, beam_set=name, machine=kw["MachineName"],
                                              technique=technique, fractions=fractions,
                                              patient_position=kw["PatientPosition"]))
        self._world.sim_plan = self
        beam_set = self._beam_sets._add(BeamSet(self._world, self, {**kw, "NumberOfFractions": fractions}, 1))
        self._optimization = self._optimizations._add(PlanOptimization(self._world, self, beam_set,
                                                                       f"{self._path}.PlanOptimizations[0]"))
        return beam_set
