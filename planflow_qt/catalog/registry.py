"""The registry of node types: the built-in catalog plus packs found through entry points.

Third-party packs declare, in their packaging metadata, an entry point in the group `planflow_qt.nodes`
that names a module (or a callable returning node classes); every `NodeType` subclass with a `spec` in
that module is registered.
"""

from __future__ import annotations

import difflib
import importlib
import logging
from collections.abc import Iterable
from importlib.metadata import entry_points
from types import ModuleType

from planflow_qt.catalog.spec import NodeType, Role

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "planflow_qt.nodes"
BUILTIN_MODULES = ("nodes.rois", "nodes.plan", "nodes.objectives", "nodes.dose", "nodes.loop",
                   "nodes.conditions", "nodes.flow")


class Registry:
    """Node types by type id (and by legacy id)."""

    def __init__(self) -> None:
        self._types: dict[str, type[NodeType]] = {}
        self._legacy: dict[str, str] = {}

    def register(self, node_type: type[NodeType]) -> None:
        """Add a node type; a second type with the same id is refused."""
        type_id = node_type.spec.type_id
        if type_id in self._types and self._types[type_id] is not node_type:
            raise ValueError(f"node type {type_id!r} is registered twice")
        self._types[type_id] = node_type
        for old in node_type.spec.legacy_ids:
            self._legacy[old] = type_id

    def register_module(self, module: ModuleType | Iterable[type[NodeType]]) -> None:
        """Register every node type defined in a module (or given as an iterable)."""
        items = vars(module).values() if isinstance(module, ModuleType) else module
        for item in items:
            if isinstance(item, type) and issubclass(item, NodeType) and "spec" in vars(item):
                self.register(item)

    def get(self, type_id: str) -> type[NodeType] | None:
        """The node type for an id or a legacy id; None if unknown."""
        return self._types.get(type_id) or self._types.get(self._legacy.get(type_id, ""))

    def suggest(self, type_id: str) -> str | None:
        """The closest known id, for 'did you mean' messages."""
        close = difflib.get_close_matches(type_id, list(self._types), n=1, cutoff=0.6)
        return close[0] if close else None

    def __iter__(self):
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def ids(self) -> list[str]:
        return list(self._types)


def _load_entry_points(registry: Registry) -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            target = ep.load()
            registry.register_module(target() if callable(target) and not isinstance(target, ModuleType)
                                     else target)
        except Exception:
            log.exception("node pack %s (%s) could not be loaded; its nodes are unavailable", ep.name, ep.value)


_default: Registry | None = None


def plays(registry: Registry, type_id: str | None, role: Role) -> bool:
    """Whether the node type `type_id` (unknown types play no role) plays `role`."""
    node_type = registry.get(type_id) if type_id else None
    return node_type is not None and node_type.spec.has(role)


def default_registry() -> Registry:
    """The built-in catalog and every installed node pack, loaded once."""
    global _default
    if _default is None:
        registry = Registry()
        for name in BUILTIN_MODULES:
            registry.register_module(importlib.import_module(name))
        _load_entry_points(registry)
        _default = registry
    return _default
