"""What a node says on the canvas: its title and a one-line summary of its parameters, in planning terms."""

from __future__ import annotations

from planflow_qt.catalog.spec import NodeType
from planflow_qt.model.document import Node


def node_title(node: Node, node_type: type[NodeType] | None) -> str:
    """The title shown on the node: its own, or its type's."""
    if node.title:
        return node.title
    return node_type.spec.title if node_type else node.type


def node_summary(node: Node, node_type: type[NodeType] | None) -> str:
    """One line about the node's parameters (empty when they are invalid or say nothing useful)."""
    if node_type is None:
        return f"unknown type {node.type}"
    try:
        text = node_type.summary(node_type.spec.params.model_validate(node.params))
    except Exception:  # an invalid node still draws; its problems are shown by validation
        text = ""
    if node.active_rounds.strip().lower() not in ("", "all"):
        text = f"{text} · rounds {node.active_rounds}" if text else f"rounds {node.active_rounds}"
    return text
