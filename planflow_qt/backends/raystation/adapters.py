"""Version adapters: names that changed between RayStation versions, decided once per backend and logged.

Method names are decided by feature test (`hasattr` on the real object). Keyword names are decided by trying
the newer names: RayStation refuses unknown keywords with `TypeError` before doing anything, and the older
names are then used. Each choice is logged once, with the application version.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from planflow_qt.backends.base import BackendError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Feature:
    """A name that changed: the newer and the older spelling."""

    name: str
    newer: str
    older: str


PRESCRIPTION = Feature("prescription", "AddRoiPrescriptionDoseReference", "AddDosePrescriptionToRoi")
NORMALIZATION = Feature("normalization", "ScaleToPrimaryPrescriptionDoseReference", "NormalizeToPrescription")
BEAM_RESTRICTION = Feature("function beam restriction", "RestrictToBeams", "RestrictToBeam")
GOAL_LEVEL = Feature("clinical goal level", "PrimaryAcceptanceLevel", "AcceptanceLevel")
BEAM_KEYWORDS = Feature("beam quality and couch", "BeamQualityId", "Energy")
FEATURES = (PRESCRIPTION, NORMALIZATION, BEAM_RESTRICTION, GOAL_LEVEL, BEAM_KEYWORDS)


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

    def decide(self, feature: Feature, name: str, how: str) -> str:
        """Remember (and log, the first time) the name used for `feature`."""
        if feature.name not in self.chosen:
            self.chosen[feature.name] = name
            log.info("RayStation %s: %s uses %s (%s)", self.version, feature.name, name, how)
        return name

    def method(self, feature: Feature, obj: Any) -> str:
        """The method name `obj` offers for `feature`."""
        if feature.name in self.chosen:
            return self.chosen[feature.name]
        for name in (feature.newer, feature.older):
            if hasattr(obj, name):
                return self.decide(feature, name, "feature test")
        raise BackendError(f"RayStation {self.version} offers neither {feature.newer} nor {feature.older}")

    def attribute(self, feature: Feature, obj: Any) -> Any:
        """The value of the attribute spelled the newer or the older way."""
        return getattr(obj, self.method(feature, obj))

    def call(self, feature: Feature, call: Callable[[dict[str, Any]], T], newer: dict[str, Any],
             older: dict[str, Any] | None) -> T:
        """`call(keywords)` with the newer keywords, or the older ones where RayStation refuses the newer names.

        `older` None means the call has no older form (e.g. several beams where only one was allowed).
        Raises what the call raised (the newer form's error when both forms are refused).
        """
        chosen = self.chosen.get(feature.name)
        if chosen == feature.older:
            if older is None:
                raise BackendError(f"RayStation {self.version} only has {feature.older}, which cannot express "
                                   f"this call (it needs {feature.newer})")
            return call(older)
        if chosen == feature.newer or older is None:
            return call(newer)
        try:
            result = call(newer)
        except TypeError as refused:
            try:
                result = call(older)
            except TypeError:
                raise refused from None
            self.decide(feature, feature.older, f"{feature.newer} refused: {refused}")
            return result
        self.decide(feature, feature.newer, "accepted")
        return result
