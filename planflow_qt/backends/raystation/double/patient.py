"""The double's patient, case, examination, patient model, ROIs and structure set.

ROI geometries live in the simulated backend: algebra, margins, walls and isodose ROIs are its ROI
operations, volumes and centers its masks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from planflow_qt.backends.raystation.double.base import AttrDict, Collection, RsObject, point, rs_method
from planflow_qt.model.planning import BooleanOperation, Margin, MarginType, RoiOperand

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.double.plan import Plan
    from planflow_qt.backends.raystation.double.world import World

ROI_TYPES = ("Organ", "Ptv", "Ctv", "Gtv", "External", "Control", "Avoidance", "Support", "Bolus", "Marker",
             "Undefined")
_DIRECTIONS = ("Superior", "Inferior", "Anterior", "Posterior", "Right", "Left")


def margin_from(settings: Any, what: str) -> Margin:
    """A RayStation margin dict (`Type`, six directions in cm, each < 15) as a Margin."""
    if not isinstance(settings, dict) or set(settings) != {"Type", *_DIRECTIONS}:
        raise SystemError(f"{what}: a margin needs exactly the keys Type, {', '.join(_DIRECTIONS)}")
    if settings["Type"] not in ("Expand", "Contract"):
        raise SystemError(f"{what}: Type must be 'Expand' or 'Contract', not {settings['Type']!r}")
    for direction in _DIRECTIONS:
        value = settings[direction]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 15:
            raise SystemError(f"{what}: {direction} must be a number of cm in 0-15, not {value!r}")
    return Margin(type=MarginType(settings["Type"]), **{f"{d.lower()}_cm": float(settings[d]) for d in _DIRECTIONS})


class Examination(RsObject):
    """The planning CT."""

    _stub_class = "Examination"

    def __init__(self, world: World, name: str):
        super().__init__(world, f"case.Examinations[{name!r}]")
        self._name = name

    @property
    def Name(self) -> str:
        return self._name


class Roi(RsObject):
    """A region of interest; its geometry is the simulated backend's ROI of the same name."""

    _stub_class = "RegionOfInterest"

    def __init__(self, world: World, name: str, roi_type: str, color: str, has_geometry: bool = False):
        super().__init__(world, f"case.PatientModel.RegionsOfInterest[{name!r}]")
        self._name, self._type, self._color = name, roi_type, color
        self._has_geometry = has_geometry

    @property
    def Name(self) -> str:
        return self._name

    @property
    def Type(self) -> str:
        return self._type

    @property
    def Color(self) -> str:
        return self._color

    def _check_exam(self, examination: Any) -> None:
        if examination is not self._world.examination:
            raise SystemError("Examination must be an examination of the case (use get_current('Examination'))")

    def _source(self, name: Any) -> str:
        rois = self._world.case.PatientModel.RegionsOfInterest
        if not isinstance(name, str) or name not in rois:
            raise SystemError(f"ROI {name!r} not found in the case")
        if not rois[name]._has_geometry:
            raise SystemError(f"ROI {name!r} has no contours on the examination")
        return name

    def _operand(self, expression: Any, what: str) -> RoiOperand | None:
        if not isinstance(expression, dict) or set(expression) != {"Operation", "SourceRoiNames", "MarginSettings"}:
            raise SystemError(f"{what} needs exactly the keys Operation, SourceRoiNames, MarginSettings")
        if expression["Operation"] not in ("Union", "Intersection"):
            raise SystemError(f"{what}: Operation must be 'Union' or 'Intersection'")
        names = [self._source(n) for n in expression["SourceRoiNames"]]
        margin = margin_from(expression["MarginSettings"], what)
        return RoiOperand(rois=names, combine=expression["Operation"], margin=margin) if names else None

    def _stored(self) -> None:
        self._has_geometry = True

    @rs_method
    def CreateAlgebraGeometry(self, **kw: Any) -> None:
        self._check_exam(kw["Examination"])
        if kw.get("Algorithm", "Auto") not in ("Auto", "Contours"):
            raise SystemError(f"unknown Algorithm {kw['Algorithm']!r}")
        a = self._operand(kw["ExpressionA"], "ExpressionA")
        if a is None:
            raise SystemError("ExpressionA has no source ROIs")
        b = self._operand(kw["ExpressionB"], "ExpressionB") if kw.get("ExpressionB") is not None else None
        operation = BooleanOperation(kw.get("ResultOperation", "None"))
        if (b is None) != (operation is BooleanOperation.NONE):
            raise SystemError(f"ResultOperation {operation.value!r} does not fit ExpressionB "
                              f"({'no' if b is None else 'some'} source ROIs)")
        result = margin_from(kw.get("ResultMarginSettings", _zero_margin()), "ResultMarginSettings")
        self._world.sim.create_roi_algebra(self._name, a, b, operation, result, self._type, self._color)
        self._stored()

    @rs_method
    def CreateMarginGeometry(self, **kw: Any) -> None:
        self._check_exam(kw["Examination"])
        margin = margin_from(kw["MarginSettings"], "MarginSettings")
        self._world.sim.create_roi_margin(self._name, self._source(kw["SourceRoiName"]), margin, self._type,
                                          self._color)
        self._stored()

    @rs_method
    def CreateWallGeometry(self, **kw: Any) -> None:
        self._check_exam(kw["Examination"])
        outward, inward = kw["OutwardDistance"], kw["InwardDistance"]
        for name, value in (("OutwardDistance", outward), ("InwardDistance", inward)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 5:
                raise SystemError(f"{name} must be a distance in cm within 0-5, not {value!r}")
        self._world.sim.create_roi_wall(self._name, self._source(kw["SourceRoiName"]), float(outward),
                                        float(inward), self._type, self._color)
        self._stored()

    @rs_method
    def CreateRoiGeometryFromDose(self, **kw: Any) -> None:
        dose = kw["DoseDistribution"]
        if dose is not self._world.dose_of_current_plan():
            raise SystemError("DoseDistribution must be the TotalDose of the plan being optimized")
        self._world.sim.create_roi_from_dose(self._name, float(kw["ThresholdLevel"]), self._type, self._color)
        self._stored()

    @rs_method
    def DeleteRoi(self) -> None:
        self._world.case.PatientModel.RegionsOfInterest._remove(self)


def _zero_margin() -> dict[str, Any]:
    return {"Type": "Expand", **dict.fromkeys(_DIRECTIONS, 0.0)}


class RoiGeometry(RsObject):
    """An ROI's geometry on the examination."""

    _stub_class = "RoiGeometry"

    def __init__(self, world: World, roi: Roi, exam: str):
        super().__init__(world, f"case.PatientModel.StructureSets[{exam!r}].RoiGeometries[{roi.Name!r}]")
        self._roi = roi

    @property
    def OfRoi(self) -> Roi:
        return self._roi

    def _contoured(self) -> str:
        if not self._roi._has_geometry:
            raise SystemError(f"ROI {self._roi.Name!r} has no contours on the examination")
        return self._roi.Name

    @rs_method
    def HasContours(self) -> bool:
        return self._roi._has_geometry

    @rs_method
    def GetRoiVolume(self) -> float:
        return self._world.sim.roi_volume_cc(self._contoured())

    @rs_method
    def GetCenterOfRoi(self) -> AttrDict:
        sim = self._world.sim
        mask = sim.roi_mask(self._contoured())
        center = sim.patient.grid.positions_mm(np.flatnonzero(mask)).mean(axis=0) / 10.0
        return point(*center)


class Poi(RsObject):
    """A point of interest of the case (the stubs type it as a RegionOfInterest)."""

    _stub_class = "RegionOfInterest"

    def __init__(self, world: World, name: str):
        super().__init__(world, f"case.PatientModel.PointsOfInterest[{name!r}]")
        self._name = name

    @property
    def Name(self) -> str:
        return self._name


class PoiGeometry(RsObject):
    """A point of interest on the examination (`.OfPoi.Name`, `.Point` in cm)."""

    _stub_class = "PoiGeometry"

    def __init__(self, world: World, name: str, point_cm: tuple[float, float, float], exam: str):
        super().__init__(world, f"case.PatientModel.StructureSets[{exam!r}].PoiGeometries[{name!r}]")
        self._poi, self._point = Poi(world, name), point(*point_cm)

    @property
    def OfPoi(self) -> Poi:
        return self._poi

    @property
    def Point(self) -> AttrDict:
        return self._point


class StructureSet(RsObject):
    """The ROI and POI geometries of one examination."""

    _stub_class = "ExaminationStructureSet"

    def __init__(self, world: World, exam: Examination, pois_cm: dict[str, tuple[float, float, float]]):
        super().__init__(world, f"case.PatientModel.StructureSets[{exam.Name!r}]")
        self._exam = exam
        self._geometries: dict[int, RoiGeometry] = {}
        self._pois = Collection(world, f"{self._path}.PoiGeometries", key=lambda g: g.OfPoi.Name,
                                items=[PoiGeometry(world, n, p, exam.Name) for n, p in pois_cm.items()])

    @property
    def OnExamination(self) -> Examination:
        return self._exam

    @property
    def RoiGeometries(self) -> Collection:
        rois = self._world.case.PatientModel.RegionsOfInterest
        items = [self._geometries.setdefault(id(r), RoiGeometry(self._world, r, self._exam.Name)) for r in rois]
        return Collection(self._world, f"{self._path}.RoiGeometries", key=lambda g: g.OfRoi.Name, items=items)

    @property
    def PoiGeometries(self) -> Collection:
        return self._pois


class PatientModel(RsObject):
    """ROIs of the case and their structure sets."""

    _stub_class = "PatientModel"

    def __init__(self, world: World, exam: Examination):
        super().__init__(world, "case.PatientModel")
        info = world.sim.case_info()
        rois = [Roi(world, name, roi["type"], "", has_geometry=True) for name, roi in info["rois"].items()]
        self._rois = Collection(world, "case.PatientModel.RegionsOfInterest", items=rois)
        self._structure_sets = Collection(world, "case.PatientModel.StructureSets", key=lambda s: s.OnExamination.Name,
                                          items=[StructureSet(world, exam, info["pois_cm"])])

    @property
    def RegionsOfInterest(self) -> Collection:
        return self._rois

    @property
    def StructureSets(self) -> Collection:
        return self._structure_sets

    @rs_method
    def CreateRoi(self, **kw: Any) -> Roi:
        name, roi_type, color = kw["Name"], kw.get("Type", "Undefined"), kw.get("Color", "Yellow")
        if not isinstance(name, str) or not name.strip():
            raise SystemError("an ROI needs a name")
        if name in self._rois:
            raise SystemError(f"An ROI named {name!r} already exists.")
        if roi_type not in ROI_TYPES:
            raise SystemError(f"unknown ROI Type {roi_type!r}; types: {', '.join(ROI_TYPES)}")
        return self._rois._add(Roi(self._world, name, roi_type, str(color)))


class Case(RsObject):
    """The open case: patient model, examinations, treatment plans and delivery (scenario groups)."""

    _stub_class = "TreatmentCaseIncludingStudy"

    def __init__(self, world: World, name: str, exam: Examination):
        super().__init__(world, "case")
        self._name = name
        self._examinations = Collection(world, "case.Examinations", items=[exam])
        self._model = PatientModel(world, exam)
        self._plans = Collection(world, "case.TreatmentPlans")
        self._delivery: RsObject | None = None
        self._exports: list[dict[str, Any]] = []

    @property
    def CaseName(self) -> str:
        return self._name

    @property
    def PatientModel(self) -> PatientModel:
        return self._model

    @property
    def Examinations(self) -> Collection:
        return self._examinations

    @property
    def TreatmentPlans(self) -> Collection:
        return self._plans

    @property
    def TreatmentDelivery(self) -> RsObject:
        if self._delivery is None:
            from planflow_qt.backends.raystation.double.scenarios import TreatmentDelivery

            self._delivery = TreatmentDelivery(self._world)
        return self._delivery

    @rs_method
    def ScriptableDicomExport(self, **kw: Any) -> None:
        """Export to a folder: the double checks what is named and records the export (writes no files)."""
        folder = kw.get("ExportFolderPath")
        if not folder and not kw.get("Connection") and not kw.get("RayGatewayTitle"):
            raise SystemError("an export needs ExportFolderPath, Connection or RayGatewayTitle")
        for exam in kw.get("Examinations", []):
            if exam not in self._examinations:
                raise SystemError(f"no examination named {exam!r}")
        identifiers = {f"{p.Name}:{b.DicomPlanLabel}" for p in self._plans for b in p.BeamSets}
        for key in ("BeamSets", "PhysicalBeamSetDoseForBeamSets", "RtRadiationSetForBeamSets"):
            unknown = [b for b in kw.get(key, []) if b not in identifiers]
            if unknown:
                raise SystemError(f"{key}: no beam set {', '.join(map(repr, unknown))} (use BeamSetIdentifier())")
        self._exports.append(dict(kw))

    @rs_method
    def AddNewPlan(self, **kw: Any) -> Plan:
        from planflow_qt.backends.raystation.double.plan import Plan

        name = kw["PlanName"]
        if kw.get("ExaminationName", self._world.examination.Name) not in self._examinations:
            raise SystemError(f"no examination named {kw['ExaminationName']!r}")
        if name in self._plans:
            if not kw.get("AllowDuplicateNames", False):
                raise SystemError(f"A plan named {name!r} already exists.")
            name = f"{name} ({len(self._plans)})"
        return self._plans._add(Plan(self._world, name, kw.get("Comment", "")))


class Patient(RsObject):
    """The open patient."""

    _stub_class = "Patient"

    def __init__(self, world: World, case: Case | None):
        super().__init__(world, "patient")
        self._cases = Collection(world, "patient.Cases", key="CaseName", items=[case] if case else [])

    @property
    def Name(self) -> str:
        return "PHANTOM^Simulated"

    @property
    def Cases(self) -> Collection:
        return self._cases

    @rs_method
    def Save(self) -> None:
        self._world.saves += 1
