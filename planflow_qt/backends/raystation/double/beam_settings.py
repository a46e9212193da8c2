"""The double's beam optimization settings: jaws and arc conversion of photon beams, avoidance ROIs of
proton beams (`OptimizationParameters.TreatmentSetupSettings[0].BeamSettings[i]`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planflow_qt.backends.raystation.double.base import Collection, RsObject, number, rs_method
from planflow_qt.model.planning import BeamSettings, JawMotion

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.double.world import World

_JAWS = {"LeftJaw": "left_jaw_cm", "RightJaw": "right_jaw_cm", "TopJaw": "top_jaw_cm", "BottomJaw": "bottom_jaw_cm"}


class ArcConversion(RsObject):
    """How an arc is converted to control points: gantry spacing, delivery time, dual arcs."""

    _stub_class = "ArcConversionPropertiesPerBeam"

    def __init__(self, world: World, path: str):
        super().__init__(world, path)
        self._values: dict[str, Any] = {"dual_arcs": False, "gantry_spacing_deg": 4.0, "max_delivery_time_s": 90.0}

    FinalArcGantrySpacing = property(lambda self: self._values["gantry_spacing_deg"])
    MaxArcDeliveryTime = property(lambda self: self._values["max_delivery_time_s"])
    NumberOfArcs = property(lambda self: 2 if self._values["dual_arcs"] else 1)

    @rs_method
    def EditArcBasedBeamOptimizationSettings(self, **kw: Any) -> None:
        spacing = number(kw.get("FinalGantrySpacing", 4.0), "FinalGantrySpacing", 1.0, 10.0)
        time = number(kw.get("MaxArcDeliveryTime", 90.0), "MaxArcDeliveryTime", 1.0, 1000.0)
        self._values.update(dual_arcs=bool(kw.get("CreateDualArcs", False)), gantry_spacing_deg=spacing,
                            max_delivery_time_s=time)


class BeamOptimization(RsObject):
    """The optimization settings of one photon beam: jaw motion and limits."""

    _stub_class = "BeamOptimizationSettings"

    def __init__(self, world: World, path: str, beam: Any):
        super().__init__(world, path)
        self._beam = beam
        self._arc = ArcConversion(world, f"{path}.ArcConversionPropertiesPerBeam")
        self._jaws: dict[str, Any] = {"jaw_motion": JawMotion.AUTOMATIC}
        self._avoid: list[str] = []

    ForBeam = property(lambda self: self._beam)
    ArcConversionPropertiesPerBeam = property(lambda self: self._arc)

    @rs_method
    def EditBeamOptimizationSettings(self, **kw: Any) -> None:
        motion = kw.get("JawMotion", "Automatic")
        try:
            jaws: dict[str, Any] = {"jaw_motion": JawMotion(motion)}
        except ValueError:
            raise SystemError(f"JawMotion {motion!r} is not simulated") from None
        for keyword, field in _JAWS.items():
            if kw.get(keyword) is not None:
                jaws[field] = number(kw[keyword], keyword, -20.0, 20.0)
        self._jaws = jaws

    def _settings(self) -> dict[str, Any]:
        protected = getattr(self._beam, "_protected", None)
        avoid = {"avoid_roi": protected[0], "entrance_only": protected[1]} if protected else {}
        if self._avoid:
            avoid = {"avoid_roi": self._avoid[0]}
        return {**self._arc._values, **self._jaws, **avoid}


class IonBeamOptimization(BeamOptimization):
    """The optimization settings of one proton beam: the ROIs no spot may pass through."""

    _stub_class = "IonBeamOptimizationSettings"

    @rs_method
    def SetAvoidanceStructures(self, **kw: Any) -> RsObject:
        rois = self._world.case.PatientModel.RegionsOfInterest
        names = list(kw["RoiNames"])
        unknown = [n for n in names if n not in rois or not rois[n]._has_geometry]
        if unknown:
            raise SystemError(f"ROI {', '.join(map(repr, unknown))} not found or without contours")
        if len(names) > 1:
            raise SystemError("the test double avoids one ROI per beam")
        self._avoid = names
        return self


class TreatmentSetupSettings(RsObject):
    """The beam settings of the optimized beam set."""

    _stub_class = "TreatmentSetupOptimizationSettings"

    def __init__(self, world: World, path: str):
        super().__init__(world, path)
        self._beams = Collection(world, f"{path}.BeamSettings", key=lambda b: b.ForBeam.Name)

    BeamSettings = property(lambda self: self._beams)

    def _add_beam(self, beam: Any) -> None:
        kind = IonBeamOptimization if type(beam).__name__ == "IonBeam" else BeamOptimization
        self._beams._add(kind(self._world, f"{self._path}.BeamSettings[{len(self._beams)}]", beam))

    def _settings(self) -> BeamSettings:
        """The settings the simulated patient applies (those of the first beam: PlanFlow sets all alike)."""
        if not len(self._beams):
            return BeamSettings()
        return BeamSettings(**self._beams[0]._settings())
