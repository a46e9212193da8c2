"""Node type declarations and the registry that finds them."""

from planflow_qt.catalog.registry import Registry, default_registry
from planflow_qt.catalog.spec import WHEN, Category, NodeSpec, NodeType, Port, PortType, RunContext

__all__ = ["WHEN", "Category", "NodeSpec", "NodeType", "Port", "PortType", "Registry", "RunContext",
           "default_registry"]
