"""The flow document: pydantic models of a `planflow/1` file, the single source of truth of a flow."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA = "planflow/1"


def now_iso() -> str:
    """The current time as an ISO 8601 string (UTC, seconds)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class FlowMeta(_Doc):
    """Who wrote the flow, when, and its review status."""

    name: str = Field("Untitled flow", max_length=200)
    author: str = Field("", max_length=200)
    created: str = Field(default_factory=now_iso)
    modified: str = Field(default_factory=now_iso)
    description: str = Field("", max_length=20000)
    status: str = Field("draft", pattern="^(draft|review|approved|retired)$")


class Node(_Doc):
    """One placed node: its type, its parameters and where it sits on the canvas."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")
    type: str = Field(min_length=1, max_length=100)
    title: str = Field("", max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)
    pos: tuple[float, float] = (0.0, 0.0)
    disabled: bool = False
    active_rounds: str = Field("all", max_length=100)

    @field_validator("pos")
    @classmethod
    def _finite_pos(cls, pos: tuple[float, float]) -> tuple[float, float]:
        if not all(abs(v) < 1e7 for v in pos):
            raise ValueError("position must be finite and within +-1e7")
        return pos


class Edge(_Doc):
    """A wire from an output port to an input port: `[node id, port name]` each."""

    src: tuple[str, str]
    dst: tuple[str, str]


class Note(_Doc):
    """A framed note (backdrop) on the canvas."""

    title: str = Field("", max_length=200)
    text: str = Field("", max_length=20000)
    rect: tuple[float, float, float, float] = (0.0, 0.0, 300.0, 200.0)

    @field_validator("rect")
    @classmethod
    def _finite_rect(cls, rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        if not all(abs(v) < 1e7 for v in rect):
            raise ValueError("position and size must be finite and within +-1e7")
        return rect


class Flow(_Doc):
    """A whole flow document."""

    schema_: str = Field(SCHEMA, alias="schema")
    meta: FlowMeta = Field(default_factory=FlowMeta)
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True, allow_inf_nan=False)

    def node(self, node_id: str) -> Node:
        """The node with this id (KeyError if absent)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def to_json_dict(self) -> dict[str, Any]:
        """The document as plain JSON data, keys in file order."""
        return self.model_dump(mode="json", by_alias=True)
