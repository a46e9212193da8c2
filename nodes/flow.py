"""Flow nodes: wait for the user, save the patient, record metrics for the report."""

from __future__ import annotations

from pydantic import Field

from nodes.common import DvhQuery
from planflow_qt.catalog.spec import Category, NodeSpec, NodeType, PlanState, Port, PortType
from planflow_qt.model.planning import NoParams, Strict, new_row

PLAN = Port("plan", PortType.PLAN)


class WaitParams(Strict):
    message: str = Field("Check the plan, then continue.", min_length=1, max_length=500,
                         description="What the user is asked to do")


class WaitUser(NodeType):
    """Pause for the user: RayStation unlocks its window until they press Continue (they may also stop)."""

    spec = NodeSpec("flow.wait_user", "Wait for user", Category.FLOW, WaitParams, inputs=(PLAN,), outputs=(PLAN,),
                    gated=True)

    @classmethod
    def summary(cls, params) -> str:
        return params.message

    @classmethod
    def run(cls, ctx, params: WaitParams, inputs):
        ctx.backend.wait_for_user(params.message)
        return {}


class SavePatient(NodeType):
    """Save the patient (RayStation's Save), so the work so far is kept.

    A failed node stops the run before any later save, so a half-finished plan is never saved by the flow.
    """

    spec = NodeSpec("flow.save", "Save patient", Category.FLOW, NoParams, inputs=(PLAN,), outputs=(PLAN,),
                    gated=True)

    @classmethod
    def run(cls, ctx, params, inputs):
        ctx.backend.save()
        return {}


class RecordedMetric(DvhQuery):
    roi: str = Field(min_length=1, max_length=64, description="ROI (flow name)")
    label: str = Field("", max_length=64, description="Name in the report; empty: ROI and metric")
    external_roi: str = Field("Body", max_length=64, description="The body ROI (flow name), for conformity")


class RecordParams(Strict):
    metrics: list[RecordedMetric] = Field(min_length=1, description="Metrics recorded each time this runs",
                                          json_schema_extra=new_row(roi="PTV", metric="dose_at_volume", volume=95.0))


class Record(NodeType):
    """Record named DVH metrics (each round, inside a loop) for the run's table and report.

    Metrics are those of DVH conditions, plus the Paddick conformity index of a target at an isodose
    (`paddick_ci`, measured against the body ROI).
    """

    spec = NodeSpec("flow.record", "Record metrics", Category.FLOW, RecordParams, inputs=(PLAN,), outputs=(PLAN,),
                    needs=frozenset({PlanState.DOSE}))

    @classmethod
    def summary(cls, params) -> str:
        return f"{len(params.metrics)} metric{'s' * (len(params.metrics) != 1)}"

    @classmethod
    def run(cls, ctx, params: RecordParams, inputs):
        for item in params.metrics:
            value = item.measure(ctx.backend, ctx.case_roi(item.roi), ctx.case_roi(item.external_roi))
            ctx.metric(item.label or f"{item.roi} {item.short_name()}", value, item.unit())
        return {}
