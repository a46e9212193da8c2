"""Dose nodes: normalization to the prescription and the final dose."""

from __future__ import annotations

from pydantic import Field

from planflow_qt.catalog.spec import Category, NodeSpec, NodeType, Port, PortType
from planflow_qt.model.planning import DoseAlgorithm, NoParams, Strict

PLAN = Port("plan", PortType.PLAN)


class Normalize(NodeType):
    """Scale the plan so the primary prescription is met exactly (e.g. 95 % of the PTV receives 6000 cGy)."""

    spec = NodeSpec("dose.normalize", "Normalize", Category.DOSE, NoParams, inputs=(PLAN,), outputs=(PLAN,))

    @classmethod
    def run(cls, ctx, params, inputs):
        ctx.backend.normalize_to_prescription()
        return {"plan": inputs["plan"]}


class FinalDoseParams(Strict):
    algorithm: DoseAlgorithm = Field(DoseAlgorithm.COLLAPSED_CONE, description="Final dose algorithm")


class FinalDose(NodeType):
    """Compute the final dose with the chosen algorithm (collapsed cone, Monte Carlo or pencil beam)."""

    spec = NodeSpec("dose.final", "Final dose", Category.DOSE, FinalDoseParams, inputs=(PLAN,), outputs=(PLAN,))

    @classmethod
    def run(cls, ctx, params: FinalDoseParams, inputs):
        ctx.backend.compute_final_dose(params.algorithm)
        return {"plan": inputs["plan"]}
