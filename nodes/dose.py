"""Dose nodes: normalization to the prescription, the final dose, and DICOM export."""

from __future__ import annotations

from pydantic import Field

from planflow_qt.catalog.spec import BackendNeed, Category, NodeSpec, NodeType, PlanState, Port, PortType, Role
from planflow_qt.model.planning import DoseAlgorithm, NoParams, Strict

PLAN = Port("plan", PortType.PLAN)


class Normalize(NodeType):
    """Scale the plan so the primary prescription is met exactly (e.g. 95 % of the PTV receives 6000 cGy)."""

    spec = NodeSpec("dose.normalize", "Normalize", Category.DOSE, NoParams, inputs=(PLAN,), outputs=(PLAN,),
                    roles=frozenset({Role.MAKES_DOSE}), needs=frozenset({PlanState.PRESCRIPTION, PlanState.DOSE}))

    @classmethod
    def run(cls, ctx, params, inputs):
        ctx.backend.normalize_to_prescription()
        return {}


class FinalDoseParams(Strict):
    algorithm: DoseAlgorithm = Field(DoseAlgorithm.COLLAPSED_CONE, description="Final dose algorithm")


class FinalDose(NodeType):
    """Compute the final dose with the chosen algorithm (collapsed cone, Monte Carlo or pencil beam)."""

    spec = NodeSpec("dose.final", "Final dose", Category.DOSE, FinalDoseParams, inputs=(PLAN,), outputs=(PLAN,),
                    roles=frozenset({Role.MAKES_DOSE}), needs=frozenset({PlanState.DOSE}),
                    gives=frozenset({PlanState.DOSE}))

    @classmethod
    def summary(cls, params) -> str:
        return params.algorithm.value

    @classmethod
    def run(cls, ctx, params: FinalDoseParams, inputs):
        ctx.backend.compute_final_dose(params.algorithm)
        return {}


class ExportParams(Strict):
    folder: str = Field(min_length=1, max_length=260, description="Folder the DICOM files are written to "
                                                                  "(on the machine running RayStation)")


class ExportDicom(NodeType):
    """Export the planning CT, its structure set, the plan (RT Plan) and its dose (RT Dose) as DICOM files
    into a folder, e.g. for an independent dose check or a second viewer."""

    spec = NodeSpec("dose.export_dicom", "Export DICOM", Category.DOSE, ExportParams, inputs=(PLAN,),
                    outputs=(PLAN,))

    @classmethod
    def summary(cls, params) -> str:
        return f"→ {params.folder}"

    @classmethod
    def backend_needs(cls, params: ExportParams) -> list[BackendNeed]:
        return [BackendNeed("exports_dicom", "params.folder", "DICOM export",
                            "switch the node off for a dry run, or run the flow in RayStation")]

    @classmethod
    def run(cls, ctx, params: ExportParams, inputs):
        ctx.backend.export_dicom(params.folder)
        ctx.log(f"plan, dose, structures and CT exported as DICOM to {params.folder}")
        return {}
