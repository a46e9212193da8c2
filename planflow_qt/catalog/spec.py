"""How a node type declares itself: one typed, self-validating spec and a stateless `run`.

A node type is a class with a `spec` (id, title, category, ports, params model, flags) and a classmethod
`run(ctx, params, inputs) -> outputs`. Node types hold no state; everything a run needs comes through the
`RunContext` (the backend, the round, ROI matching, logging).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:
    from planflow_qt.backends.base import Backend


class PortType(str, Enum):
    """What travels on a wire. A connection is legal only between equal types."""

    PLAN = "plan"
    ROI = "roi"
    FUNCTION = "function"
    BOOL = "bool"
    NUMBER = "number"


@dataclass(frozen=True)
class Port:
    """A named, typed input or output of a node."""

    name: str
    type: PortType
    optional: bool = False
    multi: bool = False
    doc: str = ""


WHEN = Port("when", PortType.BOOL, optional=True, doc="Run only when true (skipped when false)")


class Role(str, Enum):
    """What the rest of the program needs to know a node is, beyond its ports and parameters."""

    PLAN_SOURCE = "plan source"
    NEW_PLAN = "new plan"
    CURRENT_PLAN = "current plan"
    CASE_ROI = "case ROI"
    PRESCRIPTION = "prescription"
    LOOP_BEGIN = "loop begin"
    LOOP_END = "loop end"
    OPTIMIZATION_SETTINGS = "optimization settings"
    OPTIMIZES = "optimizes"
    MAKES_DOSE = "makes dose"
    TESTS_FUNCTIONS = "tests function values"


class PlanState(str, Enum):
    """What a plan has once a node upstream gave it; a node may need it before it can run."""

    ISOCENTER = "an isocenter"
    BEAMS = "beams"
    PRESCRIPTION = "a prescription"
    FUNCTIONS = "optimization functions"
    DOSE = "a dose"


@dataclass(frozen=True)
class Requirement:
    """What a node needs before it runs: a plan `state` given by a node upstream of it, or an optional input
    `port` that these parameters make necessary; `field` is the parameter that asks for it ("" for the node).
    """

    state: PlanState | None = None
    port: str | None = None
    field: str = ""


class Category(str, Enum):
    """Palette groups, in the order a flow is usually built."""

    ROI = "ROIs"
    PLAN = "Plan"
    OPTIMIZATION = "Optimization"
    DOSE = "Dose"
    LOOP = "Loop"
    CONDITION = "Conditions"
    LOGIC = "Logic"
    FLOW = "Flow"


@dataclass(frozen=True)
class NodeSpec:
    """Everything static about a node type.

    `gated` adds the optional `when` input. `self_gated` marks actions that decide at run time whether
    they acted (an adjustment that matched no function), which counts for a loop's stop-when-idle rule.
    `legacy_ids` are former type ids that still load; `roles` say what else the program must know the node is;
    `needs` is what the plan must have before the node runs, `gives` what it has after (see
    `NodeType.requires`); the ROI wired to the input `summary_roi` leads the node's summary on the canvas.
    """

    type_id: str
    title: str
    category: Category
    params: type[BaseModel]
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    gated: bool = False
    self_gated: bool = False
    legacy_ids: tuple[str, ...] = ()
    roles: frozenset[Role] = frozenset()
    summary_roi: str | None = None
    needs: frozenset[PlanState] = frozenset()
    gives: frozenset[PlanState] = frozenset()
    doc: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = f"node type {self.type_id!r}"
        if self.type_id.count(".") != 1 or not all(self.type_id.split(".")):
            raise ValueError(f"{where}: a type id is 'domain.name' (e.g. 'roi.ring')")
        for side, ports in (("input", self.all_inputs()), ("output", self.outputs)):
            names = [p.name for p in ports]
            if len(set(names)) != len(names):
                raise ValueError(f"{where}: {side} names must be unique ({', '.join(names)})")
        if self.params.model_config.get("extra") != "forbid":
            raise ValueError(f"{where}: its params model {self.params.__name__} must refuse unknown fields "
                             "(model_config extra='forbid'), or misspelt parameters would be ignored")

    def has(self, role: Role) -> bool:
        """Whether the node type plays `role`."""
        return role in self.roles

    def all_inputs(self) -> tuple[Port, ...]:
        """Inputs including the `when` gate of gated nodes."""
        return (*self.inputs, WHEN) if self.gated else self.inputs

    def input(self, name: str) -> Port | None:
        return next((p for p in self.all_inputs() if p.name == name), None)

    def output(self, name: str) -> Port | None:
        return next((p for p in self.outputs if p.name == name), None)


class RunContext(Protocol):
    """What a node sees while it runs."""

    backend: Backend
    round: int | None
    node_id: str
    node_title: str
    tags: list[str]
    """Names this node gives: its function tag(s) or its condition name, resolved before the run."""

    def case_roi(self, flow_name: str) -> str:
        """The case's name for a flow ROI name (after ROI matching)."""

    def register_roi(self, flow_name: str, case_name: str) -> None:
        """Record that the flow's ROI `flow_name` is `case_name` in the case."""

    def log(self, message: str, **data: Any) -> None:
        """An informational line in the run log, with optional structured `data` (JSON values)."""

    def warn(self, message: str) -> None:
        """A warning in the run log and on the node."""

    def metric(self, name: str, value: float, unit: str = "") -> None:
        """A named metric recorded for this round."""

    def idle(self) -> None:
        """This node ran but changed nothing (counts as not fired for stop-when-idle)."""


@dataclass(frozen=True)
class BackendNeed:
    """Something a node asks of the backend beyond the protocol: the backend attribute saying it can
    (`evaluates_scenarios`, `exports_dicom`), the field that asks for it, and what it is in words."""

    capability: str
    field: str
    what: str
    instead: str


class NodeType:
    """Base of node types. Subclasses set `spec` and implement `run`; the class docstring is the doc."""

    spec: ClassVar[NodeSpec]

    @classmethod
    def run(cls, ctx: RunContext, params: Any, inputs: dict[str, Any]) -> dict[str, Any]:
        """Do the node's work and return its outputs by port name."""
        raise NotImplementedError(f"{cls.spec.type_id} has no run")

    @classmethod
    def summary(cls, params: Any) -> str:
        """One line about valid parameters, in planning terms, for the canvas and the report."""
        return ""

    @classmethod
    def requires(cls, params: Any) -> list[Requirement]:
        """What this node, with these parameters, needs before it runs: plan states given upstream (an
        isocenter before beams) and optional inputs made necessary (an ROI for an ROI-centre isocenter).
        Validation refuses a flow where a requirement is not met. By default: the spec's `needs`."""
        return [Requirement(state) for state in PlanState if state in cls.spec.needs]

    @classmethod
    def wired_summary(cls, params: Any, rois: dict[str, str]) -> str:
        """The summary naming the ROIs wired into the node (input name -> flow ROI name); the canvas and the
        report show this one. By default the plain summary, led by the ROI wired to the spec's `summary_roi`."""
        lead = rois.get(cls.spec.summary_roi, "") if cls.spec.summary_roi else ""
        return " · ".join(part for part in (lead, cls.summary(params)) if part)

    @classmethod
    def backend_needs(cls, params: Any) -> list[BackendNeed]:
        """What this node, with these parameters, asks of the backend beyond the protocol; the preflight
        refuses the flow on a backend that cannot."""
        return []

    @classmethod
    def created_roi(cls, params: Any) -> str | None:
        """The ROI name this node creates in the case, if any."""
        return None

    @classmethod
    def referenced_rois(cls, params: Any) -> list[tuple[str, str]]:
        """ROIs named in the parameters (not wired) as (field path, flow ROI name); validation checks that
        the flow matches or creates each."""
        return []

    @classmethod
    def roi_label(cls, params: Any) -> str | None:
        """The flow name of the ROI this node outputs, if it outputs one."""
        return cls.created_roi(params)

    @classmethod
    def naming(cls, params: Any, roi_label: str | None) -> list[tuple[str, str]]:
        """Names the node gives (function tags, condition names) as (given name, stem for an empty one).

        An empty name becomes `{stem}_{n}`, numbered across the flow in document order.
        """
        return []

    @classmethod
    def updates_names(cls, params: Any) -> bool:
        """True when the node's names refer to functions defined by other nodes (an update, not a definition)."""
        return False

    @classmethod
    def doc(cls) -> str:
        """The planner-facing description of the node type."""
        return inspect.cleandoc(cls.__doc__ or "")
