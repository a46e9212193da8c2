"""The preflight of a run in RayStation, as the console shows it: how the flow's ROIs match the case, and
the problems that refuse the run (the engine's preflight, with the RayStation backend's own checks)."""

from __future__ import annotations

from dataclasses import dataclass, field

from planflow_qt.backends.raystation.backend import RayStationBackend
from planflow_qt.engine.preflight import RoiMatch, preflight, roi_matches
from planflow_qt.engine.validation import Analysis, Problem


@dataclass
class CaseCheck:
    """The matching table and the problems that refuse the run."""

    matches: list[RoiMatch] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def table(self) -> list[tuple[str, str, str]]:
        """Rows (flow ROI, case ROI or MISSING, required / optional)."""
        return [(m.flow_name, m.case_name or "MISSING", "required" if m.required else "optional")
                for m in self.matches]


def check_case(analysis: Analysis, backend: RayStationBackend) -> CaseCheck:
    """Match the flow's ROIs to the case and look for clashes, without changing anything."""
    return CaseCheck(roi_matches(analysis, backend.roi_names()), preflight(analysis, backend))
