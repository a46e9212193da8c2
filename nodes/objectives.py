"""Optimization nodes: settings, functions, adjustments, running and resetting the optimization."""

from __future__ import annotations

from enum import Enum

from pydantic import Field, model_validator

from nodes.common import Comparison, FunctionSelector, selected_functions
from planflow_qt.catalog.spec import Category, NodeSpec, NodeType, PlanState, Port, PortType, Role
from planflow_qt.model.planning import (
    DOSE_FALL_OFF_TYPES,
    DVH_TYPES,
    EUD_TYPES,
    MAX_DOSE_CGY,
    MAX_VOLUME_CC,
    FunctionParameters,
    FunctionSpec,
    FunctionState,
    FunctionType,
    NoParams,
    OptimizationSettings,
    Strict,
    new_row,
)

PLAN = Port("plan", PortType.PLAN)
FUNCTION = Port("function", PortType.FUNCTION)


class Settings(NodeType):
    """Optimizer settings: maximum iterations, optimality tolerance, intermediate and final dose."""

    spec = NodeSpec("opt.settings", "Optimization settings", Category.OPTIMIZATION, OptimizationSettings,
                    inputs=(PLAN,), outputs=(PLAN,),
                    roles=frozenset({Role.OPTIMIZATION_SETTINGS}))

    @classmethod
    def summary(cls, params) -> str:
        return f"{params.iterations} iterations"

    @classmethod
    def run(cls, ctx, params: OptimizationSettings, inputs):
        ctx.backend.set_optimization_settings(params)
        ctx.log(f"at most {params.iterations} iterations per optimization", iterations=params.iterations)
        return {}


def put_function(ctx, spec: FunctionSpec) -> str:
    """Add the function, or update it when its tag is already in the plan (never a duplicate)."""
    backend = ctx.backend
    if spec.tag in backend.function_tags():
        backend.update_function(spec.tag, spec)
        ctx.log(f"updated {spec.tag}: {spec.describe()}")
    else:
        backend.add_function(spec)
        ctx.log(f"added {spec.tag}: {spec.describe()}")
    return spec.tag


class OptFunctionParams(FunctionParameters):
    updates_existing: bool = Field(False, description="Replace the function with this tag, defined elsewhere "
                                                      "in the flow, instead of defining a new one")

    @model_validator(mode="after")
    def _tag_for_update(self) -> OptFunctionParams:
        if self.updates_existing and not self.tag:
            raise ValueError("updating an existing function needs its tag")
        return self


class OptFunction(NodeType):
    """One objective or constraint on the wired ROI: type, dose level, volume, EUD a, weight, flags, tag.

    Types are RayStation's (MinDose, MaxDose, MinDvh, MaxDvh, UniformDose, MinEud, MaxEud, TargetEud,
    DoseFallOff, UniformityConstraint). The tag names the function for adjustments and conditions; an
    empty tag becomes `{roi}_{type}_{n}`. Running again (in a loop, or with a tag that exists) updates the
    function instead of adding a duplicate.
    """

    spec = NodeSpec("opt.function", "Objective", Category.OPTIMIZATION, OptFunctionParams,
                    inputs=(PLAN, Port("roi", PortType.ROI)), outputs=(PLAN, FUNCTION), gated=True,
                    gives=frozenset({PlanState.FUNCTIONS}))

    @classmethod
    def summary(cls, params) -> str:
        return params.describe() + (f" [{params.tag}]" if params.tag else "")

    @classmethod
    def wired_summary(cls, params: OptFunctionParams, rois: dict[str, str]) -> str:
        function = params.describe().rsplit(" (", 1)[0]
        kind = "constraint" if params.constraint else f"w {params.weight:g}"
        return " · ".join(p for p in (rois.get("roi", ""), function, kind, params.tag) if p)

    @classmethod
    def naming(cls, params: OptFunctionParams, roi_label):
        return [(params.tag, f"{roi_label or 'roi'}_{params.type.value}")]

    @classmethod
    def updates_names(cls, params: OptFunctionParams) -> bool:
        return params.updates_existing

    @classmethod
    def run(cls, ctx, params: OptFunctionParams, inputs):
        values = params.model_dump(exclude={"updates_existing"})
        values["tag"] = ctx.tags[0]
        spec = FunctionSpec(**values, roi=ctx.case_roi(inputs["roi"]))
        return {"function": put_function(ctx, spec)}


class FunctionTableParams(Strict):
    functions: list[FunctionSpec] = Field(min_length=1, description="One row per function; ROI by flow name",
                                          json_schema_extra=new_row(roi="PTV", type="MinDose", dose_cgy=6000.0))


class OptFunctionTable(NodeType):
    """Many objectives and constraints in one table, one row per function, ROIs named in each row.

    The compact form of a template; imported Planning-Flow files use it. Tags follow the same rule as a
    single objective, and existing tags are updated.
    """

    spec = NodeSpec("opt.function_table", "Objective table", Category.OPTIMIZATION, FunctionTableParams,
                    inputs=(PLAN,), outputs=(PLAN,), gives=frozenset({PlanState.FUNCTIONS}))

    @classmethod
    def summary(cls, params) -> str:
        return f"{len(params.functions)} functions"

    @classmethod
    def naming(cls, params: FunctionTableParams, roi_label):
        return [(row.tag, f"{row.roi}_{row.type.value}") for row in params.functions]

    @classmethod
    def run(cls, ctx, params: FunctionTableParams, inputs):
        for row, tag in zip(params.functions, ctx.tags, strict=True):
            put_function(ctx, row.model_copy(update={"roi": ctx.case_roi(row.roi), "tag": tag}))
        return {}


class AdjustField(str, Enum):
    WEIGHT = "weight"
    DOSE = "dose"
    VOLUME = "volume"
    EUD_A = "eud_a"
    STD_DEV = "std_dev"


class AdjustMode(str, Enum):
    SET = "set"
    SCALE = "scale"
    ADD = "add"
    ACHIEVED_FACTOR = "achieved_factor"


class AdjustParams(Strict):
    selector: FunctionSelector = Field(default_factory=FunctionSelector,
                                       description="Functions to change when none is wired")
    only_if_value: Comparison | None = Field(None, description="Change only functions whose value meets this "
                                                               "test (e.g. < 4e-4); none: all selected")
    value_threshold: float = Field(4e-4, ge=0, le=1e6, description="Threshold of the function value test")
    field: AdjustField = Field(AdjustField.DOSE, description="What is changed")
    mode: AdjustMode = Field(AdjustMode.SCALE, description="set to, multiply by, add, or achieved x amount")
    amount: float = Field(1.0, ge=-1e6, le=1e6, description="The value, factor or increment")
    minimum: float | None = Field(None, ge=-1e6, le=1e6, description="Never below this (same unit as the field)")
    maximum: float | None = Field(None, ge=-1e6, le=1e6, description="Never above this (same unit as the field)")

    @model_validator(mode="after")
    def _sensible(self) -> AdjustParams:
        if self.mode is AdjustMode.ACHIEVED_FACTOR and self.field not in (AdjustField.DOSE, AdjustField.VOLUME):
            raise ValueError("achieved x factor applies to the dose or volume, not to the "
                             f"{self.field.value}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is above maximum")
        low, high, unit = ADJUST_LIMITS[self.field.value]
        checked = [("minimum", self.minimum), ("maximum", self.maximum)]
        if self.mode is AdjustMode.SET:
            checked.append(("amount", self.amount))
        for name, value in checked:
            if value is not None and not low <= value <= high:
                raise ValueError(f"{name} {value:g} is outside what a function's {self.field.value} may be "
                                 f"({low:g} to {high:g}{unit}): give a value in that range")
        return self


ADJUST_LIMITS = {"weight": (0.0, 1e6, ""), "dose": (0.0, MAX_DOSE_CGY, " cGy"),
                 "volume": (0.0, MAX_VOLUME_CC, " % or cc"), "eud_a": (-200.0, 200.0, ""),
                 "std_dev": (0.0, 100.0, " %")}
"""The range of each adjustable field (by its value in the file), as the function parameters document it."""


def _function_limits(name: str) -> tuple[float, float]:
    """The documented range (ge, le) of a FunctionParameters field."""
    metadata = FunctionParameters.model_fields[name].metadata
    low = next(m.ge for m in metadata if hasattr(m, "ge"))
    high = next(m.le for m in metadata if hasattr(m, "le"))
    return low, high


def _field_name(field: AdjustField, spec: FunctionSpec) -> str | None:
    """The FunctionSpec attribute an adjustment of `field` changes, or None if the type has none."""
    if field is AdjustField.WEIGHT:
        return None if spec.constraint else "weight"
    if field is AdjustField.EUD_A:
        return "eud_a" if spec.type in EUD_TYPES else None
    if field is AdjustField.STD_DEV:
        return "std_dev_percent" if spec.type is FunctionType.UNIFORMITY_CONSTRAINT else None
    if field is AdjustField.VOLUME:
        if spec.type not in DVH_TYPES:
            return None
        return "volume_percent" if spec.volume_percent is not None else "volume_cc"
    if spec.type in DOSE_FALL_OFF_TYPES:
        return "low_dose_cgy"
    return None if spec.type is FunctionType.UNIFORMITY_CONSTRAINT else "dose_cgy"


def adjusted(state: FunctionState, params: AdjustParams) -> FunctionSpec | None:
    """The function's spec after the adjustment; None if it does not apply to this function.

    Achieved x a factor of at most 1 tightens a fall-off from the lower of its achieved and current low dose
    levels: its achieved level is the lowest low level its dose meets, which lies above the current one when
    a few voxels miss the fall-off, and tightening must never raise it.
    """
    spec = state.spec
    name = _field_name(params.field, spec)
    if name is None:
        return None
    current = getattr(spec, name)
    if params.mode is AdjustMode.SET:
        value = params.amount
    elif params.mode is AdjustMode.SCALE:
        value = current * params.amount
    elif params.mode is AdjustMode.ADD:
        value = current + params.amount
    else:
        if state.achieved is None:
            return None
        achieved = state.achieved
        if name == "low_dose_cgy" and params.amount <= 1:
            # A fall-off's achieved level is set by its worst voxel: a few voxels can keep it above the current
            # low level while the function as a whole is nearly met. Tightening then starts from the current level.
            achieved = min(achieved, current)
        value = achieved * params.amount
    if params.minimum is not None:
        value = max(value, params.minimum)
    if params.maximum is not None:
        value = min(value, params.maximum)
    if name == "low_dose_cgy":
        value = min(value, spec.high_dose_cgy)
    if name == "volume_percent":
        value = min(max(value, 0.0), 100.0)
    return spec.model_copy(update={name: max(value, 0.0) if name != "eud_a" else value})


def _adjusted_in_range(ctx, tag: str, state: FunctionState, params: AdjustParams) -> FunctionSpec | None:
    """`adjusted`, clamped to the function's documented range with a warning naming the node (the warning
    event carries it)."""
    new = adjusted(state, params)
    if new is None:
        return None
    name = _field_name(params.field, new)
    value = getattr(new, name)
    low, high = _function_limits(name)
    if low <= value <= high:
        return new
    clamped = min(max(value, low), high)
    ctx.warn(f"{tag}: {name} {value:g} is outside its range {low:g} to {high:g}; clamped to {clamped:g}")
    return new.model_copy(update={name: clamped})


class OptAdjust(NodeType):
    """Change functions: the wired one, or every function a selector picks (tags, ROIs, types).

    Optionally only functions whose own value meets a test (value < 4e-4: the function is satisfied and
    can be tightened). The weight, dose level, DVH volume or EUD a is set, scaled, increased, or set to the
    achieved level times a factor (the progressive tightening step), then clamped to the minimum and maximum
    and to the function's documented range (with a warning naming the node). For a dose fall-off the
    dose is its low dose level. A round where it matched nothing counts as idle for the loop.
    """

    spec = NodeSpec("opt.adjust", "Adjust functions", Category.OPTIMIZATION, AdjustParams,
                    inputs=(PLAN, Port("function", PortType.FUNCTION, optional=True)),
                    outputs=(PLAN, FUNCTION), gated=True, self_gated=True)

    @classmethod
    def summary(cls, params) -> str:
        verb = {"set": "=", "scale": "×", "add": "+", "achieved_factor": "achieved ×"}[params.mode.value]
        test = f" if value {params.only_if_value.value} {params.value_threshold:g}" if params.only_if_value else ""
        return f"{params.field.value} {verb} {params.amount:g}{test}"

    @classmethod
    def run(cls, ctx, params: AdjustParams, inputs):
        backend = ctx.backend
        tags = [inputs["function"]] if "function" in inputs else selected_functions(ctx, params.selector)
        changed = 0
        for tag in tags:
            state = backend.function_state(tag)
            if params.only_if_value is not None and (
                    state.value is None or not params.only_if_value.test(state.value, params.value_threshold)):
                continue
            if params.mode is AdjustMode.ACHIEVED_FACTOR and state.achieved is None:
                ctx.warn(f"{tag}: the planning system gives no achieved level for a {state.spec.type.value}; "
                         "not adjusted")
                continue
            new = _adjusted_in_range(ctx, tag, state, params)
            if new is None or new == state.spec:
                continue
            backend.update_function(tag, new)
            name = _field_name(params.field, new)
            old_value, new_value = getattr(state.spec, name), getattr(new, name)
            ctx.log(f"adjusted {tag}: {name} {old_value:g} -> {new_value:g} ({new.describe()})",
                    tag=tag, field=name, old=old_value, new=new_value)
            changed += 1
        ctx.metric("functions adjusted", changed)
        if not changed:
            ctx.idle()
        return {"function": inputs["function"]} if "function" in inputs else {}


class OptRun(NodeType):
    """Run the optimization from where it stands (warm start), with the plan's settings."""

    spec = NodeSpec("opt.run", "Optimize", Category.OPTIMIZATION, NoParams, inputs=(PLAN,), outputs=(PLAN,),
                    roles=frozenset({Role.OPTIMIZES, Role.MAKES_DOSE}),
                    needs=frozenset({PlanState.BEAMS, PlanState.FUNCTIONS}), gives=frozenset({PlanState.DOSE}))

    @classmethod
    def run(cls, ctx, params, inputs):
        ctx.backend.run_optimization()
        return {}


class OptReset(NodeType):
    """Reset the optimization so the next run starts afresh (complexity control after many rounds)."""

    spec = NodeSpec("opt.reset", "Reset optimization", Category.OPTIMIZATION, NoParams,
                    inputs=(PLAN,), outputs=(PLAN,), gated=True)

    @classmethod
    def run(cls, ctx, params, inputs):
        ctx.backend.reset_optimization()
        return {}
