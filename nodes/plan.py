"""Plan nodes: the plan and beam set, prescription, isocenter, beams, clinical goals, robustness."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planflow_qt.catalog.spec import Category, NodeSpec, NodeType, PlanState, Port, PortType, Requirement, Role
from planflow_qt.model.planning import (
    CGY,
    CM,
    PERCENT,
    Arc,
    BeamSettings,
    BeamSettingsParams,
    ClinicalGoal,
    GantrySector,
    NoParams,
    PlanSetup,
    PrescriptionType,
    ProtonBeam,
    Robustness,
    Strict,
    applies_when,
    new_row,
    split_arcs,
)
from planflow_qt.model.planning import Prescription as PrescriptionValue

PLAN = Port("plan", PortType.PLAN)


class PlanCreate(NodeType):
    """A new plan with one beam set: name, treatment machine, technique, fractions, position, dose grid.

    This is where the plan's side effects begin: every node that changes the plan follows it along the
    plan wires. A flow has exactly one plan source (this node or "Current plan").
    """

    spec = NodeSpec("plan.create", "New plan", Category.PLAN, PlanSetup, outputs=(PLAN,),
                    roles=frozenset({Role.PLAN_SOURCE, Role.NEW_PLAN}))

    @classmethod
    def summary(cls, params) -> str:
        return f"{params.name} · {params.technique.value} · {params.fractions} fx"

    @classmethod
    def run(cls, ctx, params: PlanSetup, inputs):
        return {"plan": ctx.backend.create_plan(params)}


class PlanCurrent(NodeType):
    """The plan and beam set that are open in RayStation, used as they are.

    Use it instead of "New plan" to continue an existing plan: its beams, functions and goals stay.
    """

    spec = NodeSpec("plan.current", "Current plan", Category.PLAN, NoParams, outputs=(PLAN,),
                    roles=frozenset({Role.PLAN_SOURCE, Role.CURRENT_PLAN}),
                    gives=frozenset(PlanState) - {PlanState.ISOCENTER})

    @classmethod
    def run(cls, ctx, params, inputs):
        return {"plan": ctx.backend.use_current_plan()}


class PrescriptionParams(Strict):
    dose_cgy: float = Field(gt=0, le=20000, description="Prescribed total dose (cGy)", json_schema_extra=CGY)
    kind: PrescriptionType = Field(PrescriptionType.DOSE_AT_VOLUME, description="How the dose is prescribed")
    volume_percent: float = Field(95.0, gt=0, le=100, description="Volume that receives the dose (%)",
                                  json_schema_extra=PERCENT)


class Prescription(NodeType):
    """The primary prescription: the total dose the wired ROI must receive.

    DoseAtVolume (default: 95 % of the ROI receives the dose), median or average dose. Normalization
    scales the plan to it.
    """

    spec = NodeSpec("plan.prescription", "Prescription", Category.PLAN, PrescriptionParams,
                    inputs=(PLAN, Port("roi", PortType.ROI)), outputs=(PLAN,),
                    roles=frozenset({Role.PRESCRIPTION}), gives=frozenset({PlanState.PRESCRIPTION}),
                    summary_roi="roi")

    @classmethod
    def summary(cls, params) -> str:
        kind = {"DoseAtVolume": f"D{params.volume_percent:g}%", "MedianDose": "median", "AverageDose": "mean"}
        return f"{kind.get(params.kind.value, params.kind.value)} = {params.dose_cgy:g} cGy"

    @classmethod
    def run(cls, ctx, params: PrescriptionParams, inputs):
        ctx.backend.set_prescription(PrescriptionValue(roi=ctx.case_roi(inputs["roi"]), dose_cgy=params.dose_cgy,
                                                       kind=params.kind, volume_percent=params.volume_percent))
        return {}


class IsocenterParams(Strict):
    method: Literal["roi_center", "poi", "coordinates"] = Field(
        "roi_center", description="At the wired ROI's center, at a POI, or at coordinates",
        json_schema_extra={"choice_labels": {"roi_center": "ROI center", "poi": "POI",
                                             "coordinates": "coordinates"}})
    poi: str = Field("", max_length=64, description="POI name", json_schema_extra=applies_when("method", "poi"))
    x_cm: float = Field(0.0, ge=-100, le=100, description="x coordinate (cm)",
                       json_schema_extra={**CM, **applies_when("method", "coordinates")})
    y_cm: float = Field(0.0, ge=-100, le=100, description="y coordinate (cm)",
                       json_schema_extra={**CM, **applies_when("method", "coordinates")})
    z_cm: float = Field(0.0, ge=-100, le=100, description="z coordinate (cm)",
                       json_schema_extra={**CM, **applies_when("method", "coordinates")})

    @model_validator(mode="after")
    def _poi_named(self) -> IsocenterParams:
        if self.method == "poi" and not self.poi:
            raise ValueError("method 'poi' needs a POI name")
        return self


class Isocenter(NodeType):
    """The isocenter of the beam set: at the center of the wired ROI, at a POI, or at coordinates (cm)."""

    spec = NodeSpec("plan.isocenter", "Isocenter", Category.PLAN, IsocenterParams,
                    inputs=(PLAN, Port("roi", PortType.ROI, optional=True)), outputs=(PLAN,),
                    gives=frozenset({PlanState.ISOCENTER}))

    @classmethod
    def requires(cls, params) -> list[Requirement]:
        return [Requirement(port="roi", field="params.method")] if params.method == "roi_center" else []

    @classmethod
    def summary(cls, params) -> str:
        return params.method.replace("_", " ")

    @classmethod
    def wired_summary(cls, params: IsocenterParams, rois: dict[str, str]) -> str:
        if params.method == "roi_center" and "roi" in rois:
            return f"{rois['roi']} center"
        return cls.summary(params)

    @classmethod
    def run(cls, ctx, params: IsocenterParams, inputs):
        backend = ctx.backend
        if params.method == "roi_center":
            if "roi" not in inputs:
                raise ValueError("isocenter at an ROI center needs an ROI wired to 'roi'")
            position = backend.set_isocenter(roi=ctx.case_roi(inputs["roi"]))
        elif params.method == "poi":
            position = backend.set_isocenter(poi=params.poi)
        else:
            position = backend.set_isocenter(position_cm=(params.x_cm, params.y_cm, params.z_cm))
        ctx.log("isocenter at ({:.2f}, {:.2f}, {:.2f}) cm".format(*position))
        return {}


class ArcsParams(Strict):
    arcs: list[Arc] = Field(min_length=1, description="The arcs: name, energy, gantry start / stop, direction, "
                                                      "collimator, couch",
                            json_schema_extra=new_row(name="A1", energy="6", gantry_start_deg=181.0,
                                                      gantry_stop_deg=179.0, direction="Clockwise"))
    avoid_sectors: list[GantrySector] = Field(
        default_factory=list, description="Gantry sectors no arc may deliver through (start -> stop clockwise, "
                                          "IEC degrees): arcs crossing one are split around it",
        json_schema_extra=new_row(start_deg=150.0, stop_deg=210.0))

    @model_validator(mode="after")
    def _unique_names(self) -> ArcsParams:
        names = [a.name for a in self.arcs]
        if len(set(names)) != len(names):
            raise ValueError("arc names must be unique")
        return self


class VmatArcs(NodeType):
    """VMAT arcs added to the beam set at the isocenter, one row per arc.

    Gantry angles are IEC (gantry 90 enters from the patient's left); direction is clockwise or
    counter-clockwise as seen from the foot of the couch.
    """

    spec = NodeSpec("plan.vmat_arcs", "VMAT arcs", Category.PLAN, ArcsParams, inputs=(PLAN,), outputs=(PLAN,),
                    needs=frozenset({PlanState.ISOCENTER}), gives=frozenset({PlanState.BEAMS}))

    @classmethod
    def summary(cls, params) -> str:
        sectors = f" · {len(params.avoid_sectors)} avoided sector(s)" if params.avoid_sectors else ""
        return f"{len(params.arcs)} arc{'s' * (len(params.arcs) != 1)}{sectors}"

    @classmethod
    def run(cls, ctx, params: ArcsParams, inputs):
        arcs = split_arcs(params.arcs, params.avoid_sectors)
        if len(arcs) != len(params.arcs) or arcs != params.arcs:
            ctx.log("arcs split around the avoidance sectors: " + ", ".join(
                f"{a.name} {a.gantry_start_deg:g}->{a.gantry_stop_deg:g}" for a in arcs))
        ctx.backend.add_vmat_arcs(arcs)
        return {}


class BeamOptimizationSettings(NodeType):
    """Beam settings for every beam of the beam set, after the beams.

    Photon arcs: jaw motion (fix the jaws at the limits, or use them as a maximum) and jaw limits in cm at
    the isocenter, the arcs' final gantry spacing, maximum delivery time and dual arcs; an ROI wired to
    'avoid' has its fluence protected (beams entering through it are avoided). Proton beams: no spot is
    placed in or behind the ROI wired to 'avoid'.
    """

    spec = NodeSpec("plan.beam_settings", "Beam settings", Category.PLAN, BeamSettingsParams,
                    inputs=(PLAN, Port("avoid", PortType.ROI, optional=True,
                                       doc="ROI to protect (photons) or avoid (protons)")), outputs=(PLAN,),
                    needs=frozenset({PlanState.BEAMS}))

    @classmethod
    def summary(cls, params) -> str:
        jaws = "jaws automatic" if not params.fixed_jaws else f"jaws {params.jaw_motion.value}"
        return f"{jaws} · {params.gantry_spacing_deg:g}°" + (" · dual arcs" if params.dual_arcs else "")

    @classmethod
    def run(cls, ctx, params: BeamSettingsParams, inputs):
        avoid = ctx.case_roi(inputs["avoid"]) if "avoid" in inputs else None
        ctx.backend.set_beam_settings(BeamSettings(**params.model_dump(), avoid_roi=avoid))
        return {}


class ProtonBeamsParams(Strict):
    beams: list[ProtonBeam] = Field(min_length=1, description="The pencil-beam scanning beams",
                                    json_schema_extra=new_row(name="B1", gantry_deg=90.0))

    @model_validator(mode="after")
    def _unique_names(self) -> ProtonBeamsParams:
        names = [b.name for b in self.beams]
        if len(set(names)) != len(names):
            raise ValueError("beam names must be unique")
        return self


class ImptBeams(NodeType):
    """Pencil-beam scanning proton beams: gantry, couch, snout, range shifter, spot and layer spacing, margins."""

    spec = NodeSpec("plan.impt_beams", "IMPT beams", Category.PLAN, ProtonBeamsParams,
                    inputs=(PLAN,), outputs=(PLAN,), needs=frozenset({PlanState.ISOCENTER}),
                    gives=frozenset({PlanState.BEAMS}))

    @classmethod
    def summary(cls, params) -> str:
        return f"{len(params.beams)} beam{'s' * (len(params.beams) != 1)}"

    @classmethod
    def run(cls, ctx, params: ProtonBeamsParams, inputs):
        ctx.backend.add_proton_beams(params.beams)
        return {}


class GoalsParams(Strict):
    template: str = Field("", max_length=128, description="Clinical goal template of the clinic database",
                          json_schema_extra={"case_names": "goal_templates"})
    roi_map: dict[str, str] = Field(default_factory=dict,
                                    description="Template ROI -> flow ROI name, for the template's goals",
                                    json_schema_extra=new_row(PTV="PTV"))
    goals: list[ClinicalGoal] = Field(default_factory=list, description="Goals listed in the flow",
                                      json_schema_extra=new_row(roi="PTV", criterion="AtLeast", type="DoseAtVolume",
                                                                level=6000.0, parameter=95.0))

    @model_validator(mode="after")
    def _something(self) -> GoalsParams:
        if not self.template and not self.goals:
            raise ValueError("give a template or at least one goal")
        return self


class ClinicalGoals(NodeType):
    """Clinical goals of the plan, from a template of the clinic database and/or listed here.

    Goals are how a physicist judges the plan: each is evaluated after every round and shown pass / fail
    in the report; "Goals met" conditions can steer the flow with them.
    """

    spec = NodeSpec("plan.clinical_goals", "Clinical goals", Category.PLAN, GoalsParams,
                    inputs=(PLAN,), outputs=(PLAN,))

    @classmethod
    def summary(cls, params) -> str:
        return params.template or f"{len(params.goals)} goals"

    @classmethod
    def referenced_rois(cls, params: GoalsParams) -> list[tuple[str, str]]:
        return ([(f"params.goals.{i}.roi", goal.roi) for i, goal in enumerate(params.goals)]
                + [(f"params.roi_map.{template}", flow) for template, flow in params.roi_map.items()])

    @classmethod
    def run(cls, ctx, params: GoalsParams, inputs):
        goals = [g.model_copy(update={"roi": ctx.case_roi(g.roi)}) for g in params.goals]
        roi_map = {template: ctx.case_roi(flow) for template, flow in params.roi_map.items()}
        ctx.backend.add_clinical_goals(goals, params.template or None, roi_map)
        return {}


class PlanRobustness(NodeType):
    """Setup (cm, six directions) and density (%) uncertainties for functions optimized robustly.

    Composite worst case optimizes the worst scenario as a whole (minimax); voxelwise worst case takes
    the worst dose per voxel.
    """

    spec = NodeSpec("plan.robustness", "Robustness", Category.PLAN, Robustness, inputs=(PLAN,), outputs=(PLAN,))

    @classmethod
    def run(cls, ctx, params: Robustness, inputs):
        ctx.backend.set_robustness(params)
        return {}
