"""ROI nodes: find ROIs of the case, and build helper ROIs by algebra, margins, rings or isodoses."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planflow_qt.catalog.spec import Category, NodeSpec, NodeType, PlanState, Port, PortType, Role
from planflow_qt.model.planning import CGY, CM, BooleanOperation, Margin, RoiOperand, Strict
from planflow_qt.model.roi_matching import match_roi_name

RoiType = Literal["Organ", "Ptv", "Ctv", "Gtv", "External", "Control", "Avoidance", "Support", "Undefined"]
"""RayStation's ROI types."""
PLAN = Port("plan", PortType.PLAN)
ROI_OUT = Port("roi", PortType.ROI)


class MatchParams(Strict):
    name: str = Field(min_length=1, max_length=64, description="The ROI's name in this flow",
                      json_schema_extra={"case_names": "rois"})
    aliases: list[str] = Field(default_factory=list, description="Other names the ROI may have in a case",
                               json_schema_extra={"case_names": "rois"})
    required: bool = Field(True, description="Refuse to start when the case has no such ROI")


class RoiMatch(NodeType):
    """An ROI of the patient's case, found by its name or one of its aliases.

    The match is exact first, then ignores case, spaces, dashes and underscores. A required ROI that cannot
    be matched stops the run before anything changes; an optional one that is missing makes the nodes
    that need it skip.
    """

    spec = NodeSpec("roi.match", "ROI", Category.ROI, MatchParams, outputs=(ROI_OUT,),
                    roles=frozenset({Role.CASE_ROI}))

    @classmethod
    def summary(cls, params) -> str:
        return params.name + (f" (+{len(params.aliases)} aliases)" if params.aliases else "")

    @classmethod
    def roi_label(cls, params: MatchParams) -> str:
        return params.name

    @classmethod
    def run(cls, ctx, params: MatchParams, inputs):
        found = match_roi_name(params.name, params.aliases, ctx.backend.roi_names())
        if found is None:
            if params.required:
                raise LookupError(f"required ROI {params.name!r} not found in the case "
                                  f"(aliases tried: {', '.join(params.aliases) or 'none'})")
            ctx.warn(f"optional ROI {params.name!r} not in the case: nodes using it are skipped")
            return {}
        if found != params.name:
            ctx.log(f"ROI {params.name!r} matched to {found!r}")
        ctx.register_roi(params.name, found)
        return {"roi": params.name}


class NewRoiParams(Strict):
    name: str = Field(min_length=1, max_length=64, description="Name of the ROI created in the case")
    roi_type: RoiType = Field("Control", description="RayStation ROI type")
    color: str = Field("Yellow", max_length=32, description="Colour name or 'R, G, B'")


class _CreatesRoi(NodeType):
    @classmethod
    def created_roi(cls, params: NewRoiParams) -> str:
        return params.name

    @classmethod
    def _created(cls, ctx, params: NewRoiParams) -> dict[str, str]:
        """The ROI just made in the case is the flow's ROI of that name: the node's output."""
        ctx.register_roi(params.name, params.name)
        return {"roi": params.name}


class AlgebraParams(NewRoiParams):
    a: RoiOperand = Field(default_factory=RoiOperand, description="Operand A: margin, further ROIs")
    b: RoiOperand = Field(default_factory=RoiOperand, description="Operand B: margin, further ROIs")
    operation: BooleanOperation = Field(BooleanOperation.SUBTRACTION, description="A op B")
    result_margin: Margin = Field(default_factory=Margin, description="Margin on the result")


class RoiAlgebra(_CreatesRoi):
    """A new ROI from a boolean of two ROIs, with margins on A, B and the result.

    Operand A is the wired `a` ROI (united or intersected with further ROIs named in the operand), then
    expanded or contracted; operand B likewise from `b`. The result is A union, intersection or
    subtraction B, then its own margin. Without `b`, the result is A with its margins.
    Example: nt = Body minus (PTV + 2.5 cm).
    """

    spec = NodeSpec("roi.algebra", "ROI algebra", Category.ROI, AlgebraParams,
                    inputs=(Port("a", PortType.ROI), Port("b", PortType.ROI, optional=True)),
                    outputs=(ROI_OUT,), gated=True)

    @classmethod
    def summary(cls, params) -> str:
        return f"→ {params.name}"

    @classmethod
    def run(cls, ctx, params: AlgebraParams, inputs):
        a = _operand(ctx, params.a, inputs["a"])
        b = _operand(ctx, params.b, inputs["b"]) if "b" in inputs else None
        operation = params.operation if b is not None else BooleanOperation.NONE
        ctx.backend.create_roi_algebra(params.name, a, b, operation, params.result_margin,
                                       params.roi_type, params.color)
        return cls._created(ctx, params)


def _operand(ctx, operand: RoiOperand, wired: str) -> RoiOperand:
    """The operand with the wired ROI first and every name mapped to the case."""
    names = [wired, *(n for n in operand.rois if n != wired)]
    return operand.model_copy(update={"rois": [ctx.case_roi(n) for n in names]})


class MarginParams(NewRoiParams):
    margin: Margin = Field(description="Margin in six directions (cm)")


class RoiMarginNode(_CreatesRoi):
    """A new ROI that is the wired ROI expanded or contracted, possibly differently in each direction.

    Example: sp0.3 = spinal cord + 0.3 cm as a planning organ-at-risk volume.
    """

    spec = NodeSpec("roi.margin", "ROI margin", Category.ROI, MarginParams,
                    inputs=(Port("roi", PortType.ROI),), outputs=(ROI_OUT,), gated=True)

    @classmethod
    def summary(cls, params) -> str:
        return f"→ {params.name}"

    @classmethod
    def run(cls, ctx, params: MarginParams, inputs):
        ctx.backend.create_roi_margin(params.name, ctx.case_roi(inputs["roi"]), params.margin,
                                      params.roi_type, params.color)
        return cls._created(ctx, params)


class RingParams(NewRoiParams):
    outward_cm: float = Field(1.0, ge=0, lt=5, description="Distance outside the ROI surface (cm)",
                              json_schema_extra=CM)
    inward_cm: float = Field(0.0, ge=0, lt=5, description="Distance inside the ROI surface (cm)", json_schema_extra=CM)

    @model_validator(mode="after")
    def _has_width(self) -> RingParams:
        if self.outward_cm == 0 and self.inward_cm == 0:
            raise ValueError("a ring needs an outward or inward distance above 0 cm")
        return self


class RoiRing(_CreatesRoi):
    """A ring (wall) around the wired ROI: from `inward_cm` inside its surface to `outward_cm` outside.

    Rings around the target steer the dose gradient; RayStation builds them as a wall geometry.
    """

    spec = NodeSpec("roi.ring", "Ring", Category.ROI, RingParams,
                    inputs=(Port("roi", PortType.ROI),), outputs=(ROI_OUT,), gated=True, summary_roi="roi")

    @classmethod
    def summary(cls, params) -> str:
        return f"→ {params.name} ({params.inward_cm:g} in, {params.outward_cm:g} out cm)"

    @classmethod
    def run(cls, ctx, params: RingParams, inputs):
        ctx.backend.create_roi_wall(params.name, ctx.case_roi(inputs["roi"]), params.outward_cm,
                                    params.inward_cm, params.roi_type, params.color)
        return cls._created(ctx, params)


class FromDoseParams(NewRoiParams):
    threshold_cgy: float = Field(gt=0, le=20000, description="Isodose level (cGy, total course)", json_schema_extra=CGY)


class RoiFromDose(_CreatesRoi):
    """A new ROI covering every voxel whose current total dose is at least the isodose level.

    Used for conditional helper ROIs, e.g. a hot-spot ROI to push down in the next round. Re-running
    it in a loop replaces the geometry.
    """

    spec = NodeSpec("roi.from_dose", "ROI from isodose", Category.ROI, FromDoseParams,
                    inputs=(PLAN,), outputs=(PLAN, ROI_OUT), gated=True, needs=frozenset({PlanState.DOSE}))

    @classmethod
    def summary(cls, params) -> str:
        return f"→ {params.name} ≥ {params.threshold_cgy:g} cGy"

    @classmethod
    def run(cls, ctx, params: FromDoseParams, inputs):
        ctx.backend.create_roi_from_dose(params.name, params.threshold_cgy, params.roi_type, params.color)
        return cls._created(ctx, params)
