"""Cold spot: the part of the wired target that receives less than an isodose level, as a new ROI.

A clinic's own node type, installed beside PlanFlow: it declares its parameters, canvas summary, what it
needs of the plan (a dose) and the ROI it creates, and calls only the Backend protocol, so it validates,
preflights and runs on every backend without a change to PlanFlow.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from planflow_qt.catalog.spec import Category, NodeSpec, NodeType, PlanState, Port, PortType
from planflow_qt.model.planning import BooleanOperation, Margin, RoiOperand


class ColdSpotParams(BaseModel):
    """Parameters of a cold spot."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    name: str = Field("PTV_cold", min_length=1, max_length=60, description="Name of the cold-spot ROI")
    level_cgy: float = Field(5700.0, gt=0, le=20000, description="Isodose level (cGy) the target should reach")
    warn_above_cc: float = Field(0.5, ge=0, le=1000, description="Warn when the cold spot is larger (cc)")


class ColdSpot(NodeType):
    """The part of the wired target below the isodose level, as a new ROI (e.g. to boost it next round).

    Warns when the cold spot is larger than the given volume.
    """

    spec = NodeSpec("coldspot.roi", "Cold spot", Category.ROI, ColdSpotParams,
                    inputs=(Port("plan", PortType.PLAN), Port("target", PortType.ROI)),
                    outputs=(Port("plan", PortType.PLAN), Port("roi", PortType.ROI)),
                    needs=frozenset({PlanState.DOSE}))

    @classmethod
    def summary(cls, params: ColdSpotParams) -> str:
        return f"{params.name} = target below {params.level_cgy:g} cGy"

    @classmethod
    def created_roi(cls, params: ColdSpotParams) -> str:
        return params.name

    @classmethod
    def run(cls, ctx, params: ColdSpotParams, inputs):
        backend, target = ctx.backend, ctx.case_roi(inputs["target"])
        isodose = f"{params.name}_iso"[:64]
        backend.create_roi_from_dose(isodose, params.level_cgy, "Control", "Gray")
        backend.create_roi_algebra(params.name, RoiOperand(rois=[target]), RoiOperand(rois=[isodose]),
                                   BooleanOperation.SUBTRACTION, Margin(), "Control", "Blue")
        ctx.register_roi(params.name, params.name)
        volume = backend.roi_volume_cc(params.name)
        ctx.metric(f"{params.name} volume", volume, "cc")
        if volume > params.warn_above_cc:
            ctx.warn(f"{volume:.1f} cc of {target} receive less than {params.level_cgy:g} cGy")
        return {"roi": params.name}
