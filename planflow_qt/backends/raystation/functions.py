"""Optimization functions in RayStation's terms: DoseFunctionParameters fields, and reading them back.

Units: doses cGy (float), DVH volume percent 0-100 or cc with `IsAbsoluteVolume`, fall-off distance cm.
Constraints have no `Weight`. `TargetEud` reads back as `UniformEud`; `DoseFallOff` has no `FunctionType`.
"""

from __future__ import annotations

from typing import Any

from planflow_qt.model.planning import DVH_TYPES, EUD_TYPES, FunctionSpec, FunctionType

EUD_SAMPLES = 200
"""Relative volumes at which the DVH is read to compute an achieved EUD."""


def parameter_fields(spec: FunctionSpec) -> dict[str, Any]:
    """The DoseFunctionParameters fields of a function, in the order they are assigned."""
    t = spec.type
    if t in DVH_TYPES:
        fields: dict[str, Any] = {"DoseLevel": float(spec.dose_cgy)}
        if spec.volume_cc is not None:
            fields.update(IsAbsoluteVolume=True, AbsoluteVolume=float(spec.volume_cc))
        else:
            fields.update(IsAbsoluteVolume=False, PercentVolume=float(spec.volume_percent))
    elif t in EUD_TYPES:
        fields = {"DoseLevel": float(spec.dose_cgy), "EudParameterA": float(spec.eud_a)}
    elif t is FunctionType.DOSE_FALL_OFF:
        fields = {"HighDoseLevel": float(spec.high_dose_cgy), "LowDoseLevel": float(spec.low_dose_cgy),
                  "LowDoseDistance": float(spec.low_dose_distance_cm), "AdaptToTargetDoseLevels": False}
    elif t is FunctionType.UNIFORMITY_CONSTRAINT:
        fields = {"PercentStdDeviation": float(spec.std_dev_percent)}
    else:
        fields = {"DoseLevel": float(spec.dose_cgy)}
    if not spec.constraint:
        fields["Weight"] = float(spec.weight)
    return fields


def changed_fields(old: FunctionSpec, new: FunctionSpec) -> dict[str, Any]:
    """The fields to assign to turn `old` into `new` (same type), ordered so a fall-off stays valid."""
    before, after = parameter_fields(old), parameter_fields(new)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if "HighDoseLevel" in changed and "LowDoseLevel" in changed and new.high_dose_cgy < old.low_dose_cgy:
        changed = {"LowDoseLevel": changed.pop("LowDoseLevel"), **changed}
    return changed


_TYPE_NAMES = {**{t.value: t for t in FunctionType}, "UniformEud": FunctionType.TARGET_EUD}


def function_type(function: Any) -> FunctionType | None:
    """The type of an optimization function, detected as RayStation scripts do; None for functions PlanFlow
    does not read (composite functions, which have no ROI or dose parameters, and types it does not make such
    as SmoothMaxDvh or reference-dose functions).

    `DoseFunctionParameters.FunctionType` names most types; fall-offs and uniformity constraints have none and
    are told by their fields (`HighDoseLevel`, `PercentStdDeviation`).
    """
    parameters = getattr(function, "DoseFunctionParameters", None)
    if parameters is None or not hasattr(function, "ForRegionOfInterest"):
        return None
    name = getattr(parameters, "FunctionType", None)
    if name is not None:
        return _TYPE_NAMES.get(str(name))
    if hasattr(parameters, "HighDoseLevel"):
        return FunctionType.DOSE_FALL_OFF
    if hasattr(parameters, "PercentStdDeviation"):
        return FunctionType.UNIFORMITY_CONSTRAINT
    return None


def read_spec(function: Any, kind: FunctionType, constraint: bool, tag: str, beams: list[str]) -> FunctionSpec:
    """A FunctionSpec of a RayStation function of type `kind` (its ROI, parameters and flags)."""
    p = function.DoseFunctionParameters
    t = kind
    values: dict[str, Any] = {}
    if t in DVH_TYPES:
        values["dose_cgy"] = float(p.DoseLevel)
        if p.IsAbsoluteVolume:
            values["volume_cc"] = float(p.AbsoluteVolume)
        else:
            values["volume_percent"] = float(p.PercentVolume)
    elif t in EUD_TYPES:
        values.update(dose_cgy=float(p.DoseLevel), eud_a=float(p.EudParameterA))
    elif t is FunctionType.DOSE_FALL_OFF:
        values.update(high_dose_cgy=float(p.HighDoseLevel), low_dose_cgy=float(p.LowDoseLevel),
                      low_dose_distance_cm=float(p.LowDoseDistance))
    elif t is FunctionType.UNIFORMITY_CONSTRAINT:
        values["std_dev_percent"] = float(p.PercentStdDeviation)
    else:
        values["dose_cgy"] = float(p.DoseLevel)
    weight = 1.0 if constraint else float(p.Weight)
    return FunctionSpec(type=t, roi=function.ForRegionOfInterest.Name, weight=weight, constraint=constraint,
                        robust=bool(function.UseRobustness), beams=list(beams), tag=tag, **values)


def eud_from_dvh(doses: list[float], a: float, floor: float) -> float:
    """Generalized EUD `mean(d^a)^(1/a)` of doses read at evenly spaced relative volumes."""
    d = [max(float(x), floor) for x in doses]
    top = max(d) if a > 0 else min(d)
    mean = sum((x / top) ** a for x in d) / len(d)
    return top * mean ** (1.0 / a)


def eud_volumes() -> list[float]:
    """Relative volumes (fractions, midpoints) at which the DVH is read for an EUD."""
    return [(i + 0.5) / EUD_SAMPLES for i in range(EUD_SAMPLES)]
