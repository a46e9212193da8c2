"""The planning vocabulary shared by node parameters and the Backend protocol.

Units are RayStation's: dose in cGy over the whole course, lengths in cm, relative volumes in percent
(0-100), absolute volumes in cc, angles in IEC degrees.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_DOSE_CGY = 50000.0
"""The highest dose (cGy, whole course) any parameter may hold."""
MAX_VOLUME_CC = 100000.0
"""The largest absolute volume (cc) any parameter may hold."""


CGY = {"unit": "cGy"}
CM = {"unit": "cm"}
PERCENT = {"unit": "%"}
DEGREES = {"unit": "°"}
CC = {"unit": "cc"}
SECONDS = {"unit": "s"}
"""Field metadata (`json_schema_extra`) declaring a parameter's unit; the editor and the node reference read it."""


def applies_when(field: str, *values: str) -> dict[str, dict[str, list[str]]]:
    """Field metadata: the parameter matters only when `field` has one of `values` (the editor hides it
    otherwise)."""
    return {"applies_when": {field: list(values)}}


def new_row(**values: object) -> dict[str, dict[str, object]]:
    """Field metadata of a table: the values a row added in the editor starts with (the first one; later rows
    copy the last row, with the next free name)."""
    return {"new_row": values}


class Strict(BaseModel):
    """Base of every parameter model: unknown fields are refused and assignments are checked."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class NoParams(Strict):
    """The parameters of a node that has none."""


class FunctionType(str, Enum):
    """RayStation's optimization function types."""

    MIN_DOSE = "MinDose"
    MAX_DOSE = "MaxDose"
    MIN_DVH = "MinDvh"
    MAX_DVH = "MaxDvh"
    UNIFORM_DOSE = "UniformDose"
    MIN_EUD = "MinEud"
    MAX_EUD = "MaxEud"
    TARGET_EUD = "TargetEud"
    DOSE_FALL_OFF = "DoseFallOff"
    UNIFORMITY_CONSTRAINT = "UniformityConstraint"


DVH_TYPES = {FunctionType.MIN_DVH, FunctionType.MAX_DVH}
EUD_TYPES = {FunctionType.MIN_EUD, FunctionType.MAX_EUD, FunctionType.TARGET_EUD}
DOSE_FALL_OFF_TYPES = {FunctionType.DOSE_FALL_OFF}
DVH_NAMES = ("MinDvh", "MaxDvh")
DOSE_LEVEL_TYPES = tuple(t.value for t in FunctionType
                         if t not in (FunctionType.DOSE_FALL_OFF, FunctionType.UNIFORMITY_CONSTRAINT))


class MarginType(str, Enum):
    EXPAND = "Expand"
    CONTRACT = "Contract"


class Margin(Strict):
    """A margin in six directions (cm), expanding or contracting."""

    type: MarginType = MarginType.EXPAND
    superior_cm: float = Field(0.0, ge=0, lt=15, description="Superior margin (cm)", json_schema_extra=CM)
    inferior_cm: float = Field(0.0, ge=0, lt=15, description="Inferior margin (cm)", json_schema_extra=CM)
    anterior_cm: float = Field(0.0, ge=0, lt=15, description="Anterior margin (cm)", json_schema_extra=CM)
    posterior_cm: float = Field(0.0, ge=0, lt=15, description="Posterior margin (cm)", json_schema_extra=CM)
    right_cm: float = Field(0.0, ge=0, lt=15, description="Right (patient) margin (cm)", json_schema_extra=CM)
    left_cm: float = Field(0.0, ge=0, lt=15, description="Left (patient) margin (cm)", json_schema_extra=CM)

    @classmethod
    def uniform(cls, cm: float, type: MarginType = MarginType.EXPAND) -> Margin:
        """The same margin in all six directions."""
        return cls(type=type, superior_cm=cm, inferior_cm=cm, anterior_cm=cm, posterior_cm=cm,
                   right_cm=cm, left_cm=cm)

    def is_zero(self) -> bool:
        return not any((self.superior_cm, self.inferior_cm, self.anterior_cm, self.posterior_cm,
                        self.right_cm, self.left_cm))


class RoiOperand(Strict):
    """One side of an ROI boolean: the wired ROI with further ROIs, united or intersected, then a margin."""

    rois: list[str] = Field(default_factory=list, description="Further ROIs (flow names) combined with the wired one")
    combine: Literal["Union", "Intersection"] = Field("Union", description="How the ROIs are combined")
    margin: Margin = Field(default_factory=Margin)


class BooleanOperation(str, Enum):
    NONE = "None"
    UNION = "Union"
    INTERSECTION = "Intersection"
    SUBTRACTION = "Subtraction"


class PrescriptionType(str, Enum):
    DOSE_AT_VOLUME = "DoseAtVolume"
    MEDIAN_DOSE = "MedianDose"
    AVERAGE_DOSE = "AverageDose"


class Prescription(Strict):
    """Prescribed total dose to an ROI."""

    roi: str
    dose_cgy: float = Field(gt=0, le=20000, description="Prescribed total dose (cGy)", json_schema_extra=CGY)
    kind: PrescriptionType = PrescriptionType.DOSE_AT_VOLUME
    volume_percent: float = Field(95.0, gt=0, le=100, description="Volume receiving the dose, DoseAtVolume (%)",
                                  json_schema_extra=PERCENT)


class Technique(str, Enum):
    VMAT = "VMAT"
    IMPT = "IMPT"


class PlanSetup(Strict):
    """A new plan and its beam set."""

    name: str = Field("PlanFlow", min_length=1, max_length=64)
    beam_set: str = Field("BS1", min_length=1, max_length=16, description="Beam set name (16 characters at most)")
    machine: str = Field("Halcyon", min_length=1, description="Treatment machine of the clinic",
                         json_schema_extra={"case_names": "machines"})
    technique: Technique = Technique.VMAT
    fractions: int = Field(30, ge=1, le=100, description="Number of fractions")
    patient_position: str = "HeadFirstSupine"
    dose_grid_cm: float = Field(0.3, ge=0.1, le=1.0, description="Dose grid voxel size (cm)", json_schema_extra=CM)


class Direction(str, Enum):
    CW = "Clockwise"
    CCW = "CounterClockwise"


class Arc(Strict):
    """One VMAT arc."""

    name: str = Field(min_length=1, max_length=16)
    energy: str = Field("6", description="Beam quality, e.g. '6' or '6 FFF'")
    gantry_start_deg: float = Field(ge=0, lt=360, description="Start gantry angle (IEC degrees)",
                                    json_schema_extra=DEGREES)
    gantry_stop_deg: float = Field(ge=0, lt=360, description="Stop gantry angle (IEC degrees)",
                                   json_schema_extra=DEGREES)
    direction: Direction = Direction.CW
    collimator_deg: float = Field(0.0, ge=0, lt=360, description="Collimator angle (degrees)",
                                  json_schema_extra=DEGREES)
    couch_deg: float = Field(0.0, ge=0, lt=360, description="Couch angle (degrees)", json_schema_extra=DEGREES)


class GantrySector(Strict):
    """A gantry sector no arc may deliver through, from `start_deg` clockwise to `stop_deg` (IEC degrees)."""

    start_deg: float = Field(ge=0, lt=360, description="Sector start (IEC degrees, clockwise from here)",
                             json_schema_extra=DEGREES)
    stop_deg: float = Field(ge=0, lt=360, description="Sector end (IEC degrees)", json_schema_extra=DEGREES)


def split_arcs(arcs: list[Arc], sectors: list[GantrySector], minimum_deg: float = 10.0) -> list[Arc]:
    """The arcs with every avoidance sector cut out: an arc crossing a sector becomes sub-arcs named
    `A1a`, `A1b`, ... (RayStation has no gantry avoidance call, so sectors are avoided by splitting arcs).
    Pieces shorter than `minimum_deg` are dropped."""
    result: list[Arc] = []
    for arc in arcs:
        pieces = _arc_pieces(arc, sectors, minimum_deg)
        if len(pieces) == 1 and pieces[0] == (arc.gantry_start_deg, arc.gantry_stop_deg):
            result.append(arc)
            continue
        for i, (start, stop) in enumerate(pieces):
            suffix = chr(ord("a") + i)
            result.append(arc.model_copy(update={"name": f"{arc.name[:15]}{suffix}", "gantry_start_deg": start,
                                                 "gantry_stop_deg": stop}))
    return result


def _arc_pieces(arc: Arc, sectors: list[GantrySector], minimum_deg: float) -> list[tuple[float, float]]:
    """(start, stop) gantry angles of the parts of `arc` outside every sector, in the arc's direction."""
    clockwise = arc.direction is Direction.CW
    start = arc.gantry_start_deg
    length = ((arc.gantry_stop_deg - start) if clockwise else (start - arc.gantry_stop_deg)) % 360 or 360.0
    sign = 1 if clockwise else -1
    inside = [any(_in_sector((start + sign * (d + 0.5)) % 360, s) for s in sectors)
              for d in range(max(1, round(length)))]
    if not any(inside):
        return [(arc.gantry_start_deg, arc.gantry_stop_deg)]
    pieces, begin = [], None
    for d, blocked in enumerate([*inside, True]):
        if not blocked and begin is None:
            begin = d
        elif blocked and begin is not None:
            if d - begin >= minimum_deg:
                pieces.append(((start + sign * begin) % 360, (start + sign * min(d, length)) % 360))
            begin = None
    return pieces


def _in_sector(angle: float, sector: GantrySector) -> bool:
    return (angle - sector.start_deg) % 360 < (sector.stop_deg - sector.start_deg) % 360


class JawMotion(str, Enum):
    """How the optimizer may move the jaws of VMAT arcs (RayStation's `JawMotion`)."""

    AUTOMATIC = "Automatic"
    USE_LIMITS_AS_MAX = "UseLimitsAsMax"
    LOCK_TO_LIMITS = "LockToLimits"


class BeamSettingsParams(Strict):
    """Beam optimization settings as a flow gives them: jaw motion and limits (cm at the isocenter, IEC:
    left/bottom negative), arc conversion (final gantry spacing, maximum delivery time, dual arcs), and how a
    protected ROI is protected."""

    jaw_motion: JawMotion = Field(JawMotion.AUTOMATIC, description="Automatic, jaw limits as maximum, or jaws "
                                                                   "fixed at the limits")
    left_jaw_cm: float = Field(-10.0, ge=-20, le=0, description="Left jaw limit X1 (cm at the isocenter)",
                               json_schema_extra=CM)
    right_jaw_cm: float = Field(10.0, ge=0, le=20, description="Right jaw limit X2 (cm at the isocenter)",
                                json_schema_extra=CM)
    bottom_jaw_cm: float = Field(-10.0, ge=-20, le=0, description="Bottom jaw limit Y1 (cm at the isocenter)",
                                 json_schema_extra=CM)
    top_jaw_cm: float = Field(10.0, ge=0, le=20, description="Top jaw limit Y2 (cm at the isocenter)",
                              json_schema_extra=CM)
    gantry_spacing_deg: float = Field(4.0, ge=1, le=10, description="Final gantry spacing of arcs (degrees)",
                                      json_schema_extra=DEGREES)
    max_delivery_time_s: float = Field(90.0, gt=0, le=600, description="Maximum delivery time per arc (s)",
                                       json_schema_extra=SECONDS)
    dual_arcs: bool = Field(False, description="Deliver each arc as two arcs")
    entrance_only: bool = Field(True, description="Photons: protect the ROI only where beams enter through it")

    @property
    def fixed_jaws(self) -> bool:
        """Whether the jaws limit the field (anything but automatic motion)."""
        return self.jaw_motion is not JawMotion.AUTOMATIC


class BeamSettings(BeamSettingsParams):
    """Beam optimization settings for every beam of the beam set, with the case ROI protected (photons) or
    avoided (protons)."""

    avoid_roi: str | None = Field(None, description="Case ROI protected (photons) or avoided (protons)")


class ProtonBeam(Strict):
    """One pencil-beam scanning proton beam."""

    name: str = Field(min_length=1, max_length=16)
    gantry_deg: float = Field(ge=0, lt=360, description="Gantry angle (IEC degrees)", json_schema_extra=DEGREES)
    couch_deg: float = Field(0.0, ge=0, lt=360, description="Couch angle (degrees)", json_schema_extra=DEGREES)
    snout: str = Field("", description="Snout id, empty for none")
    range_shifter: str = Field("", description="Range shifter id, empty for none")
    spot_spacing_scale: float = Field(1.0, gt=0, le=3, description="Spot spacing (x the spot sigma)")
    layer_spacing_scale: float = Field(1.0, gt=0, le=3, description="Energy layer spacing (x the Bragg width)")
    proximal_layers: int = Field(1, ge=0, le=10, description="Extra energy layers before the target")
    distal_layers: int = Field(1, ge=0, le=10, description="Extra energy layers beyond the target")
    lateral_margin_cm: float = Field(0.5, ge=0, le=3, description="Lateral spot margin around the target (cm)",
                                     json_schema_extra=CM)


class GoalCriterion(str, Enum):
    AT_LEAST = "AtLeast"
    AT_MOST = "AtMost"


class GoalType(str, Enum):
    DOSE_AT_VOLUME = "DoseAtVolume"
    DOSE_AT_ABSOLUTE_VOLUME = "DoseAtAbsoluteVolume"
    VOLUME_AT_DOSE = "VolumeAtDose"
    ABSOLUTE_VOLUME_AT_DOSE = "AbsoluteVolumeAtDose"
    AVERAGE_DOSE = "AverageDose"


class ClinicalGoal(Strict):
    """A clinical goal in the planner's units: doses in cGy, relative volumes in %, absolute in cc.

    `level` is what is compared (cGy for dose goals, % or cc for volume goals); `parameter` is the
    volume (% or cc) of a dose goal, or the dose (cGy) of a volume goal, unused for average dose.
    """

    roi: str
    criterion: GoalCriterion
    type: GoalType
    level: float = Field(ge=0, le=MAX_VOLUME_CC,
                         description="Acceptance level: cGy for dose goals, % or cc for volume goals")
    parameter: float = Field(0.0, ge=0, le=MAX_VOLUME_CC,
                             description="Volume (% or cc) of a dose goal, dose (cGy) of a volume goal")
    priority: int = Field(1, ge=1, le=99)

    @model_validator(mode="after")
    def _in_clinical_range(self) -> ClinicalGoal:
        """Doses within 0-50,000 cGy, relative volumes within 0-100 %, absolute volumes within 100,000 cc."""
        dose_limit = ("cGy", MAX_DOSE_CGY)
        limits = {GoalType.DOSE_AT_VOLUME: (dose_limit, ("%", 100.0)),
                  GoalType.DOSE_AT_ABSOLUTE_VOLUME: (dose_limit, ("cc", MAX_VOLUME_CC)),
                  GoalType.VOLUME_AT_DOSE: (("%", 100.0), dose_limit),
                  GoalType.ABSOLUTE_VOLUME_AT_DOSE: (("cc", MAX_VOLUME_CC), dose_limit),
                  GoalType.AVERAGE_DOSE: (dose_limit, None)}[self.type]
        for field, limit in zip(("level", "parameter"), limits, strict=True):
            if limit is not None and getattr(self, field) > limit[1]:
                raise ValueError(f"{self.type.value} {field} {getattr(self, field):g} {limit[0]} is above "
                                 f"{limit[1]:g} {limit[0]}: give a value within 0-{limit[1]:g} {limit[0]}")
        return self


class GoalResult(BaseModel):
    """A clinical goal evaluated on the current dose."""

    goal: ClinicalGoal
    value: float
    met: bool


class RobustMethod(str, Enum):
    COMPOSITE_WORST_CASE = "CompositeWorstCase"
    VOXELWISE_WORST_CASE = "VoxelwiseWorstCase"


class Robustness(Strict):
    """Setup and density uncertainties for robust optimization."""

    superior_cm: float = Field(0.5, ge=0, lt=5, description="Setup uncertainty superior (cm)", json_schema_extra=CM)
    inferior_cm: float = Field(0.5, ge=0, lt=5, description="Setup uncertainty inferior (cm)", json_schema_extra=CM)
    anterior_cm: float = Field(0.5, ge=0, lt=5, description="Setup uncertainty anterior (cm)", json_schema_extra=CM)
    posterior_cm: float = Field(0.5, ge=0, lt=5, description="Setup uncertainty posterior (cm)", json_schema_extra=CM)
    left_cm: float = Field(0.5, ge=0, lt=5, description="Setup uncertainty left (cm)", json_schema_extra=CM)
    right_cm: float = Field(0.5, ge=0, lt=5, description="Setup uncertainty right (cm)", json_schema_extra=CM)
    density_percent: float = Field(3.5, ge=0, le=20, description="Density (range) uncertainty (%)",
                                   json_schema_extra=PERCENT)
    method: RobustMethod = RobustMethod.COMPOSITE_WORST_CASE


class DoseAlgorithm(str, Enum):
    COLLAPSED_CONE = "CollapsedCone"
    MONTE_CARLO = "MonteCarlo"
    PENCIL_BEAM = "PencilBeam"


class OptimizationSettings(Strict):
    """Optimizer settings of the plan."""

    iterations: int = Field(80, ge=1, le=1000, description="Maximum iterations per optimization")
    tolerance: float = Field(1e-5, gt=0, le=1e-1, description="Optimality tolerance")
    compute_intermediate_dose: bool = True
    compute_final_dose: bool = True
    final_dose_algorithm: DoseAlgorithm | None = Field(
        None, description="Algorithm of the final dose computed after each optimization; none: the beam set's own")
    auto_scale_to_prescription: bool = Field(
        True, description="Keep the dose scaled to the prescription while optimizing (RayStation's default)")


class FunctionParameters(Strict):
    """One optimization function (objective or constraint) without its ROI, in the planner's units.

    Which fields matter depends on the type: dose functions use `dose_cgy`; DVH functions add
    `volume_percent` or `volume_cc`; EUD functions add `eud_a`; DoseFallOff uses `high_dose_cgy`,
    `low_dose_cgy`, `low_dose_distance_cm`; UniformityConstraint uses `std_dev_percent`.
    """

    type: FunctionType = Field(description="RayStation function type")
    dose_cgy: float = Field(0.0, ge=0, le=50000, description="Dose level (cGy)",
                            json_schema_extra={**CGY, **applies_when("type", *DOSE_LEVEL_TYPES)})
    volume_percent: float | None = Field(None, ge=0, le=100, description="DVH volume (%)",
                                         json_schema_extra={**PERCENT, **applies_when("type", *DVH_NAMES)})
    volume_cc: float | None = Field(None, ge=0, le=100000, description="DVH volume (cc)",
                                    json_schema_extra={**CC, **applies_when("type", *DVH_NAMES)})
    eud_a: float = Field(1.0, ge=-200, le=200, description="EUD parameter a",
                         json_schema_extra=applies_when("type", "MinEud", "MaxEud", "TargetEud"))
    high_dose_cgy: float = Field(0.0, ge=0, le=50000, description="Fall-off high dose level (cGy)",
                                 json_schema_extra={**CGY, **applies_when("type", "DoseFallOff")})
    low_dose_cgy: float = Field(0.0, ge=0, le=50000, description="Fall-off low dose level (cGy)",
                                json_schema_extra={**CGY, **applies_when("type", "DoseFallOff")})
    low_dose_distance_cm: float = Field(1.0, ge=0, le=10, description="Fall-off low dose distance (cm)",
                                        json_schema_extra={**CM, **applies_when("type", "DoseFallOff")})
    std_dev_percent: float = Field(5.0, ge=0, le=100, description="Uniformity relative standard deviation (%)",
                                   json_schema_extra={**PERCENT, **applies_when("type", "UniformityConstraint")})
    weight: float = Field(1.0, ge=0, le=1e6, description="Weight (objectives only)",
                          json_schema_extra=applies_when("constraint", "false"))
    constraint: bool = Field(False, description="A constraint instead of an objective")
    robust: bool = Field(False, description="Optimized over the robustness scenarios")
    beams: list[str] = Field(default_factory=list, description="Restrict to these beams (empty: all)")
    tag: str = Field("", max_length=64, description="Tag that names the function; empty: {roi}_{type}_{n}")

    @model_validator(mode="after")
    def _check_type_fields(self) -> FunctionParameters:
        if self.type in DVH_TYPES and (self.volume_percent is None) == (self.volume_cc is None):
            raise ValueError(f"{self.type.value} needs exactly one of volume_percent or volume_cc")
        if self.type is FunctionType.DOSE_FALL_OFF and self.low_dose_cgy > self.high_dose_cgy:
            raise ValueError("DoseFallOff: low_dose_cgy must not exceed high_dose_cgy")
        if self.type is FunctionType.UNIFORMITY_CONSTRAINT and not self.constraint:
            raise ValueError("UniformityConstraint is a constraint: set constraint to true")
        if self.type in EUD_TYPES and self.eud_a == 0:
            raise ValueError("EUD parameter a must not be 0")
        return self

    def describe(self) -> str:
        """A one-line human description, as RayStation shows it."""
        t = self.type
        if t in DVH_TYPES:
            vol = f"{self.volume_percent:g} %" if self.volume_percent is not None else f"{self.volume_cc:g} cc"
            text = f"{t.value} {self.dose_cgy:g} cGy to {vol}"
        elif t in EUD_TYPES:
            text = f"{t.value} {self.dose_cgy:g} cGy, a = {self.eud_a:g}"
        elif t is FunctionType.DOSE_FALL_OFF:
            text = (f"DoseFallOff {self.high_dose_cgy:g} -> {self.low_dose_cgy:g} cGy "
                    f"in {self.low_dose_distance_cm:g} cm")
        elif t is FunctionType.UNIFORMITY_CONSTRAINT:
            text = f"UniformityConstraint {self.std_dev_percent:g} %"
        else:
            text = f"{t.value} {self.dose_cgy:g} cGy"
        kind = "constraint" if self.constraint else f"weight {self.weight:g}"
        return f"{text} ({kind})"


class FunctionSpec(FunctionParameters):
    """An optimization function on an ROI (case name when given to a backend, flow name in a flow)."""

    roi: str = Field(min_length=1, max_length=64, description="ROI name")

    def describe(self) -> str:
        return f"{self.roi}: {super().describe()}"


class FunctionState(BaseModel):
    """A function as the backend holds it, with its feedback after the last optimization."""

    spec: FunctionSpec
    value: float | None = Field(None, description="Function (feedback) value; None before optimization")
    achieved: float | None = Field(
        None, description="Achieved level: dose (cGy) for dose, DVH and EUD functions; None if not computed")


class DoseStatistic(str, Enum):
    MEAN = "Average"
    MIN = "Min"
    MAX = "Max"
