"""Names of the case the editor is bound to (from RayStation), offered while editing node parameters."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaseNames:
    """ROIs, clinical goal templates and machines of the open case and clinic."""

    roi_names: list[str] = field(default_factory=list)
    goal_templates: list[str] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)

    def for_field(self, kind: str) -> list[str]:
        """The names offered for a parameter that takes names of kind `kind` (its params model declares it:
        `rois`, `goal_templates` or `machines`); empty for other parameters."""
        return {"rois": self.roi_names, "goal_templates": self.goal_templates, "machines": self.machines}.get(kind, [])
