"""What a node says to a reader of the diagram: its title, a one-line summary in planning terms, and where
a problem is, in the planner's words. Shared by the canvas, the exports and the report (no Qt)."""

from __future__ import annotations

from typing import Any

from planflow_qt.catalog.fields import model_fields, path_label
from planflow_qt.catalog.registry import Registry
from planflow_qt.catalog.spec import NodeType, PortType
from planflow_qt.model.document import Flow, Node


def node_title(node: Node, node_type: type[NodeType] | None) -> str:
    """The title shown on the node: its own, or its type's."""
    if node.title:
        return node.title
    return node_type.spec.title if node_type else node.type


def _params(node: Node, node_type: type[NodeType] | None) -> Any | None:
    if node_type is None:
        return None
    try:
        return node_type.spec.params.model_validate(node.params)
    except Exception:  # an invalid node still draws; its problems are shown by validation
        return None


def roi_label(node: Node, node_type: type[NodeType] | None) -> str | None:
    """The flow name of the ROI the node gives (a matched or created ROI), None when it gives none or its
    parameters are invalid."""
    params = _params(node, node_type)
    return node_type.roi_label(params) if params is not None else None


def wired_rois(flow: Flow, registry: Registry) -> dict[str, dict[str, str]]:
    """The flow names of the ROIs wired into each node: node id -> input name -> ROI name."""
    nodes = {node.id: node for node in flow.nodes}
    labels: dict[str, str | None] = {}
    result: dict[str, dict[str, str]] = {}
    for edge in flow.edges:
        source, target = nodes.get(edge.src[0]), nodes.get(edge.dst[0])
        source_type = registry.get(source.type) if source else None
        if source_type is None or target is None:
            continue
        port = source_type.spec.output(edge.src[1])
        if port is None or port.type is not PortType.ROI:
            continue
        if source.id not in labels:
            labels[source.id] = roi_label(source, source_type)
        if labels[source.id]:
            result.setdefault(target.id, {})[edge.dst[1]] = labels[source.id]
    return result


def node_summary(node: Node, node_type: type[NodeType] | None, rois: dict[str, str] | None = None) -> str:
    """One line about the node's parameters, naming its wired ROIs (empty when the parameters are invalid)."""
    if node_type is None:
        return f"unknown type {node.type}"
    params = _params(node, node_type)
    text = node_type.wired_summary(params, rois or {}) if params is not None else ""
    if node.active_rounds.strip().lower() not in ("", "all"):
        text = f"{text} · rounds {node.active_rounds}" if text else f"rounds {node.active_rounds}"
    return text


def where_text(field: str, node_type: type[NodeType] | None) -> str:
    """A problem's place as the planner reads it: `params.dose_cgy` -> `Dose (cGy)`, `inputs.roi` -> `input roi`."""
    head, _, rest = field.partition(".")
    if head == "params" and rest and node_type is not None:
        return path_label(model_fields(node_type.spec.params), rest)
    if head == "inputs" and rest:
        return f"input {rest}"
    if head == "params" and not rest:
        return "parameters"
    return field.replace("_", " ")
