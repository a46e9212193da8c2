"""Beam set details in RayStation's terms: prescriptions read back, ROI centres, beam optimization settings.

Beam settings (`OptimizationParameters.TreatmentSetupSettings[0].BeamSettings[i]`, one per beam):
photon arcs get `EditBeamOptimizationSettings(JawMotion=, LeftJaw=, ...)` and
`ArcConversionPropertiesPerBeam.EditArcBasedBeamOptimizationSettings(...)`, the protected ROI
`SetFluenceProtectRoi` on each beam (2024B: `SetTreatOrProtectRoi`); proton beams get
`SetAvoidanceStructures(RoiNames=[...])`. RayStation has no gantry avoidance sector: arcs are split instead
(`model.planning.split_arcs`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation.adapters import FLUENCE_PROTECTION
from planflow_qt.catalog.spec import Role
from planflow_qt.model.planning import BeamSettings, JawMotion, Prescription, PrescriptionType
from planflow_qt.model.roi_matching import match_roi_name

if TYPE_CHECKING:
    from planflow_qt.backends.raystation.backend import RayStationBackend


def coordinates(point: Any) -> tuple[float, float, float]:
    """(x, y, z) cm of a point result: a dict with attribute access (as RayStation returns `GetCenterOfRoi`),
    a plain dict, an object with `.x .y .z`, or a 3-tuple (as the 2025 stubs declare)."""
    if isinstance(point, dict):
        return float(point["x"]), float(point["y"]), float(point["z"])
    if hasattr(point, "x"):
        return float(point.x), float(point.y), float(point.z)
    x, y, z = (float(v) for v in point)
    return x, y, z


def read_prescription(reference: Any) -> Prescription | None:
    """A RayStation ROI prescription (`PrimaryPrescriptionDoseReference`) in the planner's terms; None for
    kinds PlanFlow does not express (site, point or near-min/max prescriptions)."""
    try:
        kind = PrescriptionType(str(reference.PrescriptionType))
        roi = reference.OnStructure.Name
    except (ValueError, AttributeError):
        return None
    volume = float(reference.DoseVolume) if kind is PrescriptionType.DOSE_AT_VOLUME else 95.0
    return Prescription(roi=roi, dose_cgy=float(reference.DoseValue), kind=kind, volume_percent=volume or 95.0)


def describe(prescription: Prescription | None) -> str:
    """'D95 % of PTV = 6000 cGy' and the like."""
    if prescription is None:
        return "a prescription PlanFlow does not express (site, point or near-minimum/maximum dose)"
    if prescription.kind is PrescriptionType.DOSE_AT_VOLUME:
        what = f"D{prescription.volume_percent:g} %"
    else:
        what = {PrescriptionType.MEDIAN_DOSE: "median dose", PrescriptionType.AVERAGE_DOSE: "average dose"}.get(
            prescription.kind, prescription.kind.value)
    return f"{what} of {prescription.roi} = {prescription.dose_cgy:g} cGy"


def same_prescription(a: Prescription | None, b: Prescription) -> bool:
    """Whether two prescriptions ask the same (ROI, kind, volume, dose within 0.01 cGy)."""
    return a is not None and (a.roi, a.kind) == (b.roi, b.kind) and math.isclose(a.dose_cgy, b.dose_cgy, abs_tol=0.01) \
        and (a.kind is not PrescriptionType.DOSE_AT_VOLUME or math.isclose(a.volume_percent, b.volume_percent))


def prescription_conflict(current: Prescription | None, wanted: Prescription) -> str:
    """The message refusing a flow whose prescription differs from the beam set's primary one."""
    return (f"the beam set's primary prescription is {describe(current)}, the flow prescribes "
            f"{describe(wanted)}: RayStation keeps the existing primary prescription and the plan would be scaled "
            "to it; make the flow's prescription match it, or change the primary prescription in RayStation")


def prescription_problems(backend: RayStationBackend, analysis: Any) -> list[tuple[str, str, str]]:
    """On the current plan, each prescription node that differs from the beam set's primary prescription
    (RayStation would keep the existing one as primary and scale the plan to it): (node id, field, message)."""
    nodes = [n for n in analysis.flow.nodes if not n.disabled and n.id in analysis.params]
    if not any(analysis.types[n.id].spec.has(Role.CURRENT_PLAN) for n in nodes):
        return []
    scripting = backend.scripting
    if scripting.current("Plan") is None or scripting.current("BeamSet") is None:
        return []
    backend.use_current_plan()
    if backend.beam_set.Prescription.PrimaryPrescriptionDoseReference is None:
        return []
    current = backend.primary_prescription()
    case_rois = backend.roi_names()
    problems = []
    for node in nodes:
        if not analysis.types[node.id].spec.has(Role.PRESCRIPTION):
            continue
        source = next((e.src[0] for e in analysis.flow.edges if e.dst == (node.id, "roi")), None)
        match = analysis.params.get(source)
        roi = match_roi_name(match.name, match.aliases, case_rois) if hasattr(match, "aliases") else None
        if roi is None:
            continue
        params = analysis.params[node.id]
        wanted = Prescription(roi=roi, dose_cgy=params.dose_cgy, kind=params.kind, volume_percent=params.volume_percent)
        if not same_prescription(current, wanted):
            problems.append((node.id, "params.dose_cgy", prescription_conflict(current, wanted)))
    return problems


def _beam_settings(backend: RayStationBackend) -> list[tuple[str, Any]]:
    settings = backend.optimization.OptimizationParameters.TreatmentSetupSettings[0].BeamSettings
    return [(item.ForBeam.Name, item) for item in settings]


def apply_settings(backend: RayStationBackend, settings: BeamSettings) -> None:
    """The flow's beam settings on every beam of the beam set (see the module's docstring)."""
    label = f"{backend.optimization_label}.OptimizationParameters.TreatmentSetupSettings[0].BeamSettings"
    found = _beam_settings(backend)
    if not found:
        raise BackendError("the beam set has no beams: add the arcs or proton beams before their settings")
    protons = str(backend.beam_set.Modality) == "Protons"
    for i, (beam_name, item) in enumerate(found):
        where = f"{label}[{i}]"
        if protons:
            if settings.avoid_roi:
                backend.call(where, item, "SetAvoidanceStructures", RoiNames=[settings.avoid_roi])
            continue
        jaws: dict[str, Any] = {"JawMotion": settings.jaw_motion.value}
        if settings.jaw_motion is not JawMotion.AUTOMATIC:
            jaws.update(LeftJaw=float(settings.left_jaw_cm), RightJaw=float(settings.right_jaw_cm),
                        TopJaw=float(settings.top_jaw_cm), BottomJaw=float(settings.bottom_jaw_cm))
        backend.call(where, item, "EditBeamOptimizationSettings", OptimizationTypes=["SegmentOpt", "SegmentMU"],
                     SelectCollimatorAngle=False, AllowBeamSplit=False, **jaws)
        backend.call(f"{where}.ArcConversionPropertiesPerBeam", item.ArcConversionPropertiesPerBeam,
                     "EditArcBasedBeamOptimizationSettings", CreateDualArcs=bool(settings.dual_arcs),
                     FinalGantrySpacing=float(settings.gantry_spacing_deg),
                     MaxArcDeliveryTime=float(settings.max_delivery_time_s))
        if settings.avoid_roi:
            _protect(backend, beam_name, settings)


def _protect(backend: RayStationBackend, beam_name: str, settings: BeamSettings) -> None:
    beam = backend.beam_set.Beams[beam_name]
    where = f"beam_set.Beams[{beam_name!r}]"
    if backend.adapters.has(FLUENCE_PROTECTION, beam):
        backend.call(where, beam, FLUENCE_PROTECTION.newer, EntranceOnly=bool(settings.entrance_only),
                     RoiName=settings.avoid_roi)
    else:
        backend.call(where, beam, FLUENCE_PROTECTION.older, RoiName=settings.avoid_roi)
