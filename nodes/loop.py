"""Round loop nodes. The interpreter runs everything between them once per round."""

from __future__ import annotations

from pydantic import Field

from planflow_qt.catalog.spec import Category, NodeSpec, NodeType, Port, PortType, Role
from planflow_qt.model.planning import Strict

PLAN = Port("plan", PortType.PLAN)


class BeginParams(Strict):
    max_rounds: int = Field(5, ge=1, le=200, description="Rounds at most")


class LoopBegin(NodeType):
    """Start of a round loop: every node downstream of it, up to "End of rounds", runs once per round.

    Its `round` output is the current round number (1, 2, ...). The loop ends after `max_rounds`, when
    the stop input of "End of rounds" is true, or (option) when a round changed nothing.
    """

    spec = NodeSpec("loop.begin", "Rounds", Category.LOOP, BeginParams, inputs=(PLAN,),
                    outputs=(PLAN, Port("round", PortType.NUMBER)),
                    roles=frozenset({Role.LOOP_BEGIN}))

    @classmethod
    def summary(cls, params) -> str:
        return f"at most {params.max_rounds} rounds"

    @classmethod
    def run(cls, ctx, params, inputs):
        return {"round": float(ctx.round)}


class EndParams(Strict):
    stop_when_idle: bool = Field(False, description="Stop after a round in which none of the gated actions that "
                                                    "could run (active, switched on) fired")


class LoopEnd(NodeType):
    """End of a round loop. A true `stop` input ends the loop after this round; only the plan leaves the loop."""

    spec = NodeSpec("loop.end", "End of rounds", Category.LOOP, EndParams,
                    inputs=(PLAN, Port("stop", PortType.BOOL, optional=True)), outputs=(PLAN,),
                    roles=frozenset({Role.LOOP_END}))

    @classmethod
    def summary(cls, params) -> str:
        return "stop when idle" if params.stop_when_idle else ""

    @classmethod
    def run(cls, ctx, params, inputs):
        return {}
