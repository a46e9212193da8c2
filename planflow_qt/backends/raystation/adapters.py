"""Version adapters: what differs between RayStation 2024B and 2025, decided once per run and logged.

Methods that exist in one version and not the other are found by feature test (`hasattr` on the real
object); names that exist in both but mean a version's own vocabulary (proton dose algorithms, the PBS spot
tune keyword) follow the application version (`GetApplicationVersion`: 2024B is 16.x, 2025 is 17.x).
Each choice is logged once, with the version.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

FIRST_2025 = 17
"""The major application version of RayStation 2025."""


@dataclass(frozen=True)
class Feature:
    """A task done by one method where it exists (`newer`), else by another way (`older`)."""

    name: str
    newer: str
    older: str


AUTO_SCALE = Feature("auto-scaling to the prescription", "SetAutoScaleToPrimaryPrescription",
                     "AutoScaleToPrescription")
FUNCTION_EDIT = Feature("changing a function's type, ROI or flags", "EditOptimizationFunction",
                        "DeleteFunction and AddOptimizationFunction")
FLUENCE_PROTECTION = Feature("fluence protection", "SetFluenceProtectRoi", "SetTreatOrProtectRoi")


class VersionAdapters:
    """The choices made for one RayStation session. `version` reads the application version when first needed."""

    def __init__(self, version: Callable[[], str]):
        self._read_version = version
        self._version: str | None = None
        self.chosen: dict[str, str] = {}

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = self._read_version()
        return self._version

    @property
    def is_2025(self) -> bool:
        """Whether the application is RayStation 2025 or later (an unreadable version counts as the newest)."""
        found = re.match(r"\s*(\d+)\.", self.version)
        return found is None or int(found.group(1)) >= FIRST_2025

    def decide(self, feature: str, name: str, how: str) -> str:
        """Remember (and log, the first time) the way used for `feature`."""
        if feature not in self.chosen:
            self.chosen[feature] = name
            log.info("RayStation %s: %s uses %s (%s)", self.version, feature, name, how)
        return name

    def has(self, feature: Feature, obj: Any) -> bool:
        """Whether `obj` offers `feature.newer` (decided once, by feature test)."""
        if feature.name not in self.chosen:
            found = hasattr(obj, feature.newer)
            self.decide(feature.name, feature.newer if found else feature.older, "feature test")
        return self.chosen[feature.name] == feature.newer

    def by_version(self, feature: str, newer: Any, older: Any) -> Any:
        """`newer` on RayStation 2025 and later, `older` before (decided once, logged)."""
        self.decide(feature, "the 2025 form" if self.is_2025 else "the 2024B form", "application version")
        return newer if self.is_2025 else older
