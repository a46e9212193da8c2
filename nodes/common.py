"""Parameter pieces shared by several nodes: comparisons, function selectors and DVH queries."""

from __future__ import annotations

import operator
from enum import Enum
from fnmatch import fnmatchcase

from pydantic import Field, model_validator

from planflow_qt.model.planning import CGY, DoseStatistic, FunctionSpec, FunctionType, Strict, applies_when


class Comparison(str, Enum):
    """A comparison of a value against a threshold."""

    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"
    EQ = "="

    def test(self, value: float, threshold: float) -> bool:
        ops = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq}
        return bool(ops[self.value](value, threshold))


class FunctionSelector(Strict):
    """Which functions of the plan: by tag pattern (`Lungs_*`), by ROI and by type; empty matches all."""

    tags: list[str] = Field(default_factory=list, description="Tag patterns (* and ? wildcards)")
    rois: list[str] = Field(default_factory=list, description="ROI names (flow names)")
    types: list[FunctionType] = Field(default_factory=list, description="Function types")

    def matches(self, tag: str, spec: FunctionSpec, case_rois: set[str]) -> bool:
        """Whether a function (its tag, its spec with a case ROI name) is selected.

        `case_rois` are the case names of `rois`.
        """
        if self.tags and not any(fnmatchcase(tag, pattern) for pattern in self.tags):
            return False
        if self.rois and spec.roi not in case_rois:
            return False
        return not self.types or spec.type in self.types


def selected_functions(ctx, selector: FunctionSelector) -> list[str]:
    """Tags of the plan's functions that `selector` picks, in plan order."""
    backend = ctx.backend
    case_rois = {ctx.case_roi(name) for name in selector.rois}
    return [tag for tag in backend.function_tags()
            if selector.matches(tag, backend.function_state(tag).spec, case_rois)]


class DvhMetric(str, Enum):
    DOSE_AT_VOLUME = "dose_at_volume"
    VOLUME_AT_DOSE = "volume_at_dose"
    MEAN = "mean"
    MAX = "max"
    MIN = "min"
    NEAR_MAX = "d0_03cc"
    PADDICK_CI = "paddick_ci"


METRIC_LABELS = {"dose_at_volume": "dose at volume (D)", "volume_at_dose": "volume at dose (V)", "mean": "mean dose",
                 "max": "maximum dose", "min": "minimum dose", "d0_03cc": "near-maximum (D0.03cc)",
                 "paddick_ci": "Paddick conformity index"}
"""How the DVH metrics read in the editor and the node reference."""


class VolumeUnit(str, Enum):
    PERCENT = "%"
    CC = "cc"


class DvhQuery(Strict):
    """One DVH metric of an ROI: D at a volume, V at a dose, mean, max, min or D0.03cc."""

    metric: DvhMetric = Field(DvhMetric.DOSE_AT_VOLUME, description="What is measured",
                              json_schema_extra={"choice_labels": METRIC_LABELS})
    volume: float = Field(95.0, ge=0, le=100000, description="Volume of a D metric (% or cc, see the volume unit)",
                          json_schema_extra=applies_when("metric", "dose_at_volume"))
    dose_cgy: float = Field(0.0, ge=0, le=50000, description="Dose of a V metric or an isodose (cGy)",
                            json_schema_extra={**CGY, **applies_when("metric", "volume_at_dose", "paddick_ci")})
    volume_unit: VolumeUnit = Field(VolumeUnit.PERCENT, description="Unit of volumes, given or returned",
                                    json_schema_extra=applies_when("metric", "dose_at_volume", "volume_at_dose"))

    @model_validator(mode="after")
    def _volume_in_range(self) -> DvhQuery:
        if (self.metric is DvhMetric.DOSE_AT_VOLUME and self.volume_unit is VolumeUnit.PERCENT
                and self.volume > 100):
            raise ValueError("a volume in % must be at most 100")
        return self

    def short_name(self) -> str:
        """Short name of the metric, e.g. D95%, V2000cGy[cc], Dmean."""
        unit = self.volume_unit.value
        return {
            DvhMetric.DOSE_AT_VOLUME: f"D{self.volume:g}{unit}",
            DvhMetric.VOLUME_AT_DOSE: f"V{self.dose_cgy:g}cGy" + ("[cc]" if unit == "cc" else ""),
            DvhMetric.MEAN: "Dmean", DvhMetric.MAX: "Dmax", DvhMetric.MIN: "Dmin",
            DvhMetric.NEAR_MAX: "D0.03cc", DvhMetric.PADDICK_CI: f"CI{self.dose_cgy:g}cGy",
        }[self.metric]

    def unit(self) -> str:
        """Unit of the measured value."""
        if self.metric is DvhMetric.PADDICK_CI:
            return ""
        return self.volume_unit.value if self.metric is DvhMetric.VOLUME_AT_DOSE else "cGy"

    def measure(self, backend, case_roi: str, external_roi: str | None = None) -> float:
        """Measure the metric on the backend's current dose (`external_roi`: the body, for conformity)."""
        cc = self.volume_unit is VolumeUnit.CC
        match self.metric:
            case DvhMetric.DOSE_AT_VOLUME:
                if cc:
                    return backend.dose_at_volume(case_roi, volume_cc=self.volume)
                return backend.dose_at_volume(case_roi, volume_percent=self.volume)
            case DvhMetric.VOLUME_AT_DOSE:
                return backend.volume_at_dose(case_roi, self.dose_cgy, absolute=cc)
            case DvhMetric.NEAR_MAX:
                return backend.dose_at_volume(case_roi, volume_cc=0.03)
            case DvhMetric.MEAN:
                return backend.dose_statistic(case_roi, DoseStatistic.MEAN)
            case DvhMetric.MAX:
                return backend.dose_statistic(case_roi, DoseStatistic.MAX)
            case DvhMetric.PADDICK_CI:
                return paddick_conformity(backend, case_roi, external_roi or case_roi, self.dose_cgy)
            case _:
                return backend.dose_statistic(case_roi, DoseStatistic.MIN)


def paddick_conformity(backend, target: str, external: str, dose_cgy: float) -> float:
    """Paddick conformity index (TV_PIV)^2 / (TV x PIV), PIV = volume of the body inside the isodose."""
    target_cc = backend.roi_volume_cc(target)
    covered_cc = backend.volume_at_dose(target, dose_cgy, absolute=True)
    isodose_cc = backend.volume_at_dose(external, dose_cgy, absolute=True)
    if target_cc <= 0 or isodose_cc <= 0:
        return 0.0
    return covered_cc * covered_cc / (target_cc * isodose_cc)
