"""The double's plan, beam set and beams (total dose and goals: `evaluation.py`).

One beam set per plan. Dose comes from the simulated backend's plan, which is the most recently created
one: dose operations on an older plan raise `SystemError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planflow_qt.backends.raystation.double.base import Collection, RsObject, number, position, rs_method
from planflow_qt.backends.raystation.double.evaluation import TreatmentCourse
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

_ALGORITHMS = {"CCDose": ("Photons", DoseAlgorithm.COLLAPSED_CONE),
               "PhotonMonteCarlo": ("Photons", DoseAlgorithm.MONTE_CARLO),
               "SpotWeightPencilBeam": ("Protons", DoseAlgorithm.PENCIL_BEAM),
               "IonPencilBeam": ("Protons", DoseAlgorithm.PENCIL_BEAM),
               "IonMonteCarlo": ("Protons", DoseAlgorithm.MONTE_CARLO)}
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


class BeamSet(RsObject):
    """A beam set: prescription, isocenter, arcs or PBS beams, dose computation and normalization."""

    def __init__(self, world: World, plan: Plan, kw: dict[str, Any]):
        super().__init__(world, f"case.TreatmentPlans[{plan.Name!r}].BeamSets[{kw['Name']!r}]")
        self._plan, self._kw = plan, kw
        self._beams = Collection(world, f"{self._path}.Beams")
        self._isocenter: tuple[float, float, float] | None = None
        self._prescription: Prescription | None = None

    DicomPlanLabel = property(lambda self: self._kw["Name"])
    Modality = property(lambda self: self._kw["Modality"])
    NumberOfFractions = property(lambda self: self._kw["NumberOfFractions"])
    Beams = property(lambda self: self._beams)

    def _prescribe(self, kw: dict[str, Any]) -> None:
        rois = self._world.case.PatientModel.RegionsOfInterest
        if kw["RoiName"] not in rois or not rois[kw["RoiName"]]._has_geometry:
            raise SystemError(f"ROI {kw['RoiName']!r} not found or without contours")
        if kw["PrescriptionType"] not in _PRESCRIPTION_TYPES:
            raise SystemError(f"unknown PrescriptionType {kw['PrescriptionType']!r}")
        try:
            kind = PrescriptionType(kw["PrescriptionType"])
        except ValueError:
            raise SystemError(f"PrescriptionType {kw['PrescriptionType']!r} is not simulated") from None
        dose = number(kw["DoseValue"], "DoseValue", 0.0)
        volume = number(kw["DoseVolume"], "DoseVolume", 0.0, 100.0)
        prescription = Prescription(roi=kw["RoiName"], dose_cgy=dose, kind=kind,
                                    volume_percent=volume if kind is PrescriptionType.DOSE_AT_VOLUME else 95.0)
        if self._prescription is None:
            self._plan._require_sim()
            self._world.sim.set_prescription(prescription)
            self._prescription = prescription

    @rs_method
    def AddRoiPrescriptionDoseReference(self, **kw: Any) -> None:
        self._prescribe(kw)

    @rs_method
    def AddDosePrescriptionToRoi(self, **kw: Any) -> None:
        self._prescribe(kw)

    @rs_method
    def SetDefaultDoseGrid(self, **kw: Any) -> None:
        for size in position(kw["VoxelSize"], "VoxelSize"):
            number(size, "VoxelSize", 0.05, 1.0)

    @rs_method
    def CreateDefaultIsocenterData(self, **kw: Any) -> dict[str, Any]:
        x, y, z = position(kw["Position"], "Position")
        return {"Position": {"x": x, "y": y, "z": z}, "Name": f"{self.DicomPlanLabel} ISO",
                "NameOfIsocenterToRef": "", "Color": "98, 184, 234"}

    def _place(self, kw: dict[str, Any]) -> None:
        data = kw["IsocenterData"]
        if not isinstance(data, dict) or "Position" not in data:
            raise SystemError("IsocenterData must come from CreateDefaultIsocenterData")
        center = position(data["Position"], "IsocenterData['Position']")
        if self._isocenter is not None and center != self._isocenter:
            raise SystemError("the test double supports one isocenter per beam set")
        name = kw["Name"]
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
        if kw["ArcRotationDirection"] not in ("Clockwise", "CounterClockwise"):
            raise SystemError(f"ArcRotationDirection {kw['ArcRotationDirection']!r} is not an arc direction")
        if not isinstance(kw["BeamQualityId"], str):
            raise SystemError(f"the beam quality is a string such as '6', not {kw['BeamQualityId']!r}")
        arc = Arc(name=kw["Name"], energy=kw["BeamQualityId"], gantry_start_deg=kw["GantryAngle"],
                  gantry_stop_deg=kw["ArcStopGantryAngle"], direction=Direction(kw["ArcRotationDirection"]),
                  collimator_deg=kw.get("CollimatorAngle", 0.0), couch_deg=kw.get("CouchRotationAngle", 0.0))
        self._world.sim.add_vmat_arcs([arc])
        return self._beams._add(Beam(self._world, f"{self._path}.Beams[{arc.name!r}]", kw))

    @rs_method
    def CreatePBSIonBeam(self, **kw: Any) -> Beam:
        if self.Modality != "Protons":
            raise SystemError("CreatePBSIonBeam needs a proton beam set")
        self._place(kw)
        beam = ProtonBeam(name=kw["Name"], gantry_deg=kw["GantryAngle"], couch_deg=kw.get("CouchRotationAngle", 0.0),
                          snout=kw.get("SnoutId") or "", range_shifter=kw.get("RangeShifter") or "")
        self._world.sim.add_proton_beams([beam])
        return self._beams._add(Beam(self._world, f"{self._path}.Beams[{beam.name!r}]", kw))

    @rs_method
    def ComputeDose(self, **kw: Any) -> None:
        modality, algorithm = _ALGORITHMS.get(kw["DoseAlgorithm"], (None, None))
        if modality != self.Modality:
            raise SystemError(f"DoseAlgorithm {kw['DoseAlgorithm']!r} does not apply to a {self.Modality} beam set")
        self._plan._require_sim()
        self._world.sim.compute_final_dose(algorithm)

    @rs_method
    def NormalizeToPrescription(self, **kw: Any) -> None:
        primary = self._prescription
        self._prescribe_temporarily(kw)
        self._world.sim.normalize_to_prescription()
        if primary is not None:
            self._world.sim.set_prescription(primary)

    def _prescribe_temporarily(self, kw: dict[str, Any]) -> None:
        saved, self._prescription = self._prescription, None
        try:
            self._prescribe(kw)
        finally:
            self._prescription = saved

    @rs_method
    def ScaleToPrimaryPrescriptionDoseReference(self, **kw: Any) -> None:
        if self._prescription is None:
            raise SystemError("the beam set has no primary prescription")
        self._plan._require_sim()
        self._world.sim.normalize_to_prescription()


class Plan(RsObject):
    """A treatment plan with one beam set and its optimization."""

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
        technique = _TECHNIQUES.get((kw["Modality"], kw["TreatmentTechnique"]))
        if technique is None:
            raise SystemError(f"{kw['Modality']} {kw['TreatmentTechnique']} is not simulated: use Photons VMAT "
                              "or Protons ProtonPencilBeamScanning")
        machines = self._world.machines
        if machines.get(kw["MachineName"]) != kw["Modality"]:
            raise SystemError(f"no commissioned {kw['Modality'].lower()} machine named {kw['MachineName']!r}")
        fractions = kw["NumberOfFractions"]
        if isinstance(fractions, bool) or not isinstance(fractions, int) or fractions < 1:
            raise SystemError(f"NumberOfFractions must be a positive integer, not {fractions!r}")
        name = kw["Name"]
        if not isinstance(name, str) or not 0 < len(name) <= 16:
            raise SystemError(f"beam set name {name!r} must have 1-16 characters")
        self._world.sim.create_plan(PlanSetup(name=self._name, beam_set=name, machine=kw["MachineName"],
                                              technique=technique, fractions=fractions,
                                              patient_position=kw["PatientPosition"]))
        self._world.sim_plan = self
        beam_set = self._beam_sets._add(BeamSet(self._world, self, kw))
        self._optimizations._add(PlanOptimization(self._world, self, beam_set,
                                                  f"{self._path}.PlanOptimizations[0]"))
        return beam_set
