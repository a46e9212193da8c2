"""Names of the case the editor is bound to (from RayStation), offered while editing node parameters."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaseNames:
    """ROIs, clinical goal templates and machines of the open case and clinic."""

    roi_names: list[str] = field(default_factory=list)
    goal_templates: list[str] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)

    def for_field(self, type_id: str, path: tuple[str, ...]) -> list[str]:
        """The names offered for a parameter of a node type (empty when none apply)."""
        name = path[-1] if path else ""
        if type_id == "roi.match" and name in ("name", "aliases"):
            return self.roi_names
        if type_id == "plan.clinical_goals" and name == "template":
            return self.goal_templates
        if type_id == "plan.create" and name == "machine":
            return self.machines
        return []
