"""Condition and logic nodes: DVH metrics, function values, clinical goals, rounds, comparisons, AND/OR/NOT.

A condition's `result` is a bool to wire into a `when` gate or a loop's `stop`; its `value` is the
measured number. Every evaluation is recorded as a metric of the round under the condition's name.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import ClassVar

from pydantic import Field, field_validator

from nodes.common import Comparison, DvhQuery, FunctionSelector, selected_functions
from planflow_qt.catalog.spec import BackendNeed, Category, NodeSpec, NodeType, PlanState, Port, PortType, Role
from planflow_qt.model.planning import NoParams, Strict, applies_when
from planflow_qt.model.rounds import parse_rounds

PLAN = Port("plan", PortType.PLAN)
RESULT = Port("result", PortType.BOOL)
VALUE = Port("value", PortType.NUMBER)


class ScenarioValue(str, Enum):
    """Which dose a DVH condition reads: the nominal one, or the lowest / highest over the scenarios."""

    NOMINAL = "nominal"
    LOWEST = "lowest"
    HIGHEST = "highest"


class DvhConditionParams(DvhQuery):
    name: str = Field("", max_length=64, description="Condition name; empty: c_{roi}_{metric}_{n}")
    comparison: Comparison = Field(Comparison.GE, description="True when metric <comparison> threshold")
    threshold: float = Field(0.0, ge=0, le=100000, description="Threshold (cGy for doses, % or cc for volumes)")
    scenarios: ScenarioValue = Field(
        ScenarioValue.NOMINAL, description="Nominal dose, or the metric's lowest (worst coverage of a target) or "
                                           "highest (worst organ dose) value over the robustness scenarios")


class DvhCondition(NodeType):
    """True when a DVH metric of the wired ROI meets a threshold, on the current dose.

    Metrics: dose at a volume (D95 %, D2 cc), volume at a dose (V2000 cGy in % or cc), mean, max, min,
    D0.03cc. Example: "lungs V2000 > 28 %" to raise the lung weights in the next round. With robustness
    settings the metric can be the worst over the scenarios: "CTV D98 % lowest over the scenarios < 7410 cGy"
    to raise the robust target weights.
    """

    spec = NodeSpec("cond.dvh", "DVH condition", Category.CONDITION, DvhConditionParams,
                    inputs=(PLAN, Port("roi", PortType.ROI)), outputs=(RESULT, VALUE),
                    needs=frozenset({PlanState.DOSE}), summary_roi="roi")

    @classmethod
    def summary(cls, params) -> str:
        return f"{params.short_name()} {params.comparison.value} {params.threshold:g}"

    @classmethod
    def backend_needs(cls, params: DvhConditionParams) -> list[BackendNeed]:
        return [] if params.scenarios is ScenarioValue.NOMINAL else [SCENARIOS_NEEDED]

    @classmethod
    def naming(cls, params: DvhConditionParams, roi_label):
        return [(params.name, f"c_{roi_label or 'roi'}_{params.short_name()}")]

    @classmethod
    def run(cls, ctx, params: DvhConditionParams, inputs):
        roi = ctx.case_roi(inputs["roi"])
        value, where = (params.measure(ctx.backend, roi), "") if params.scenarios is ScenarioValue.NOMINAL \
            else _over_scenarios(ctx, params, roi)
        result = params.comparison.test(value, params.threshold)
        ctx.metric(ctx.tags[0], value, params.unit())
        ctx.log(f"{ctx.tags[0]}: {params.short_name()}{where} = {value:.4g} {params.unit()} "
                f"{params.comparison.value} {params.threshold:g}: {result}")
        return {"result": result, "value": value}


def _over_scenarios(ctx, params: DvhConditionParams, roi: str) -> tuple[float, str]:
    """The lowest or highest value of the metric over the backend's dose scenarios, and where it was."""
    names = ctx.backend.dose_scenarios()
    if not names:
        ctx.warn("the plan has no robustness scenarios: the nominal dose is evaluated")
        return params.measure(ctx.backend, roi), ""
    values = {}
    for name in names:
        with ctx.backend.scenario(name):
            values[name] = params.measure(ctx.backend, roi)
    pick = min if params.scenarios is ScenarioValue.LOWEST else max
    worst = pick(values, key=values.get)
    return values[worst], f" ({params.scenarios.value} of {len(names)} scenarios: {worst})"


class Aggregate(str, Enum):
    ALL = "all"
    ANY = "any"


class FunctionValueParams(Strict):
    name: str = Field("", max_length=64, description="Condition name; empty: c_{selector}_value_{n}")
    selector: FunctionSelector = Field(default_factory=FunctionSelector,
                                       description="Functions tested when none is wired")
    aggregate: Aggregate = Field(Aggregate.ALL, description="All or any of the selected functions")
    comparison: Comparison = Field(Comparison.GT, description="True when value <comparison> threshold")
    threshold: float = Field(4e-4, ge=0, le=1e6, description="Function value threshold")


class FunctionValueCondition(NodeType):
    """True when optimization function values meet a threshold: feedback from the last optimization.

    Tests the wired function, or all / any of the functions a selector picks. `value` is the deciding
    value: the worst against the test for "all", the best for "any". Functions never optimized have no
    value and fail the test. Example: stop when the Ring, nt and fall-off functions all exceed 4e-4.
    """

    spec = NodeSpec("cond.function_value", "Function value", Category.CONDITION, FunctionValueParams,
                    inputs=(PLAN, Port("function", PortType.FUNCTION, optional=True)), outputs=(RESULT, VALUE),
                    roles=frozenset({Role.TESTS_FUNCTIONS}))

    @classmethod
    def summary(cls, params) -> str:
        return f"{params.aggregate.value} {params.comparison.value} {params.threshold:g}"

    @classmethod
    def naming(cls, params: FunctionValueParams, roi_label):
        return [(params.name, "c_function_value")]

    @classmethod
    def run(cls, ctx, params: FunctionValueParams, inputs):
        tags = [inputs["function"]] if "function" in inputs else selected_functions(ctx, params.selector)
        if not tags:
            ctx.warn("no function matches the selector: the condition is false")
            return {"result": False}
        values = [ctx.backend.function_state(tag).value for tag in tags]
        known = [v for v in values if v is not None]
        passed = [v is not None and params.comparison.test(v, params.threshold) for v in values]
        result = all(passed) if params.aggregate is Aggregate.ALL else any(passed)
        if not known:
            ctx.warn("the selected functions have no value yet (not optimized): the condition is false")
            return {"result": False}
        larger_passes = params.comparison in (Comparison.GT, Comparison.GE)
        worst, best = (min, max) if larger_passes else (max, min)
        value = (worst if params.aggregate is Aggregate.ALL else best)(known)
        ctx.metric(ctx.tags[0], value)
        ctx.log(f"{ctx.tags[0]}: {sum(passed)} of {len(tags)} functions {params.comparison.value} "
                f"{params.threshold:g}: {result}")
        return {"result": result, "value": value}


SCENARIOS_NEEDED = BackendNeed("evaluates_scenarios", "params.scenarios", "evaluating over robustness scenarios",
                               "set scenarios to 'nominal', or evaluate robustness in the planning system")


class GoalScope(str, Enum):
    ALL = "all"
    ROI = "roi"
    PRIORITY = "priority"


class GoalScenarios(str, Enum):
    """Which doses the goals must be met on: the nominal one, or every robustness scenario too."""

    NOMINAL = "nominal"
    EVERY = "every"


class GoalConditionParams(Strict):
    scope: GoalScope = Field(GoalScope.ALL, description="All goals, the goals of one ROI, or up to a priority")
    roi: str = Field("", max_length=64, description="ROI (flow name) whose goals count",
                     json_schema_extra=applies_when("scope", "roi"))
    max_priority: int = Field(1, ge=1, le=99, description="Highest priority number included",
                              json_schema_extra=applies_when("scope", "priority"))
    scenarios: GoalScenarios = Field(GoalScenarios.NOMINAL, description="Goals met on the nominal dose, or in "
                                                                         "every robustness scenario too")


class GoalCondition(NodeType):
    """True when the plan's clinical goals are met: all of them, those of one ROI, or up to a priority;
    on the nominal dose, or (with robustness settings) in every scenario too."""

    spec = NodeSpec("cond.goal", "Goals met", Category.CONDITION, GoalConditionParams, inputs=(PLAN,),
                    outputs=(RESULT,), needs=frozenset({PlanState.DOSE}))

    @classmethod
    def summary(cls, params) -> str:
        return f"goals: {params.scope.value}" + (" in every scenario" if params.scenarios.value == "every" else "")

    @classmethod
    def backend_needs(cls, params: GoalConditionParams) -> list[BackendNeed]:
        return [] if params.scenarios is GoalScenarios.NOMINAL else [SCENARIOS_NEEDED]

    @classmethod
    def run(cls, ctx, params: GoalConditionParams, inputs):
        results = _goals_in_scope(ctx, params, ctx.backend.evaluate_goals())
        if not results:
            ctx.warn("no clinical goal in scope: the condition is false")
            return {"result": False}
        met = sum(r.met for r in results)
        ctx.log(f"clinical goals met: {met} of {len(results)}")
        if params.scenarios is GoalScenarios.EVERY and met == len(results):
            names = [n for n in ctx.backend.dose_scenarios() if n != "nominal"]
            if not names:
                ctx.warn("the plan has no robustness scenarios: the goals are evaluated on the nominal dose")
            for name in names:
                with ctx.backend.scenario(name):
                    missed = [r for r in _goals_in_scope(ctx, params, ctx.backend.evaluate_goals()) if not r.met]
                if missed:
                    ctx.log(f"clinical goals missed in {name}: {len(missed)}")
                    return {"result": False}
            ctx.log(f"clinical goals met in all {len(names)} scenarios")
        return {"result": met == len(results)}


def _goals_in_scope(ctx, params: GoalConditionParams, results: list) -> list:
    if params.scope is GoalScope.ROI:
        return [r for r in results if r.goal.roi == ctx.case_roi(params.roi)]
    if params.scope is GoalScope.PRIORITY:
        return [r for r in results if r.goal.priority <= params.max_priority]
    return results


class RoundConditionParams(Strict):
    rounds: str = Field(">=2", max_length=100, description="Rounds when true: '3', '2-4', '>=3', '1,3,5'")

    @field_validator("rounds")
    @classmethod
    def _parse(cls, text: str) -> str:
        parse_rounds(text)
        return text


class RoundCondition(NodeType):
    """True in the given rounds of the loop (from the wired round number, or the current round)."""

    spec = NodeSpec("cond.round", "Round is", Category.CONDITION, RoundConditionParams,
                    inputs=(Port("round", PortType.NUMBER, optional=True),), outputs=(RESULT,))

    @classmethod
    def summary(cls, params) -> str:
        return f"rounds {params.rounds}"

    @classmethod
    def run(cls, ctx, params: RoundConditionParams, inputs):
        current = inputs.get("round", ctx.round)
        if current is None:
            return {"result": False}
        return {"result": int(current) in parse_rounds(params.rounds)}


class CompareParams(Strict):
    comparison: Comparison = Field(Comparison.GE, description="True when a <comparison> b (or the threshold)")
    threshold: float = Field(0.0, ge=-1e9, le=1e9, description="Compared with a when b is not wired")


class Compare(NodeType):
    """Compare two numbers, or one number against a threshold (e.g. a DVH value against another)."""

    spec = NodeSpec("cond.compare", "Compare", Category.CONDITION, CompareParams,
                    inputs=(Port("a", PortType.NUMBER), Port("b", PortType.NUMBER, optional=True)),
                    outputs=(RESULT,))

    @classmethod
    def summary(cls, params) -> str:
        return f"a {params.comparison.value} b (or {params.threshold:g})"

    @classmethod
    def run(cls, ctx, params: CompareParams, inputs):
        return {"result": params.comparison.test(inputs["a"], inputs.get("b", params.threshold))}


BOOLS = Port("inputs", PortType.BOOL, multi=True)


class _Combine(NodeType):
    """Conditions combined by `combine` (all / any)."""

    combine: ClassVar[Callable[[list[bool]], bool]]

    @classmethod
    def run(cls, ctx, params, inputs):
        return {"result": cls.combine(inputs["inputs"])}


class And(_Combine):
    """True when every wired condition is true (false when one is false or was skipped).

    Wire any number of conditions into it, e.g. "lungs V2000 > 28 %" AND "round >= 2".
    """

    spec = NodeSpec("logic.and", "AND", Category.LOGIC, NoParams, inputs=(BOOLS,), outputs=(RESULT,))
    combine = all


class Or(_Combine):
    """True when at least one wired condition is true (a skipped condition counts as false).

    Wire any number of conditions into it, e.g. "heart Dmean > 2500" OR "cord D0.03cc > 4500".
    """

    spec = NodeSpec("logic.or", "OR", Category.LOGIC, NoParams, inputs=(BOOLS,), outputs=(RESULT,))
    combine = any


class Not(NodeType):
    """True when the wired condition is false (or was skipped), false when it is true.

    Example: tighten functions only while the stop rule of the loop is not yet met.
    """

    spec = NodeSpec("logic.not", "NOT", Category.LOGIC, NoParams, inputs=(Port("value", PortType.BOOL),),
                    outputs=(RESULT,))

    @classmethod
    def run(cls, ctx, params, inputs):
        return {"result": not inputs["value"]}
