"""Optimization functions: value, analytic gradient and achieved level of every RayStation function type.

Each term penalizes how far the dose of its ROI's voxels misses the function's dose level, as a miss
relative to that level (RayStation style), so feedback values are dimensionless and comparable with
RayStation's (e.g. the 4e-4 threshold of the lung progressive study): value = weight x mean over the ROI of
the squared relative miss, or the squared relative miss of the EUD for EUD functions. The miss is taken
relative to the larger of the dose and the level: for a nearly met function this is the level-normalized
miss (a function just tightened to 0.98 x its achieved dose reads weight x 4e-4), while a function missed
by far (a normal-tissue MaxEud at 10 % of the prescription) adds at most its weight instead of drowning
every other term. Constraints are the same penalties; the optimizer gives them a stiff weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planflow_qt.backends.simulated import dvh
from planflow_qt.model.planning import FunctionSpec, FunctionType

EUD_FLOOR = 1e-3
"""Doses are floored at this fraction of the dose level before computing an EUD (negative a, zero dose)."""

_NEGLIGIBLE = math.log(1e-16)


def eud(dose: np.ndarray, a: float, floor: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Generalized EUD `mean(d^a)^(1/a)` and its gradient (voxel indices, values), stable for |a| up to
    hundreds: voxels whose share is below 1e-16 of the largest are left out of the gradient.

    For negative `a` doses are floored at `floor` (a zero dose would make the EUD zero and its gradient
    infinite).
    """
    d = np.maximum(dose, floor) if a < 0 else dose
    m = float(d.max() if a > 0 else d.min())
    if m <= 0:
        return 0.0, np.arange(0), np.zeros(0)
    if a > 1:
        keep = np.flatnonzero(d > m * math.exp(_NEGLIGIBLE / a))
    elif a < -1:
        keep = np.flatnonzero(d < m * math.exp(_NEGLIGIBLE / a))
    else:
        keep = np.flatnonzero(d > 0) if a < 1 else np.arange(d.size)
    r = d[keep] / m
    mean = float((r**a).sum()) / d.size
    grad = mean ** (1.0 / a - 1.0) * r ** (a - 1.0) / d.size
    if a < 0:
        grad[dose[keep] <= floor] = 0.0
    return m * mean ** (1.0 / a), keep, grad


@dataclass
class Term:
    """One function bound to its voxels: `rows` index the dose rows.

    A DoseFallOff carries its `reference` dose per row (infinite inside the target, whose voxels it
    ignores).
    """

    spec: FunctionSpec
    rows: np.ndarray
    roi_volume_cc: float
    reference: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.count = int(np.isfinite(self.reference).sum()) if self.reference is not None else self.rows.size

    @property
    def level(self) -> float:
        """The dose that normalizes the penalty (the fall-off's high dose level)."""
        s = self.spec
        level = s.high_dose_cgy if s.type is FunctionType.DOSE_FALL_OFF else s.dose_cgy
        return max(level, 1e-6)

    def volume_fraction(self) -> float:
        """Allowed (Max) or required (Min) volume of a DVH function, fraction 0-1."""
        s = self.spec
        if s.volume_percent is not None:
            return s.volume_percent / 100.0
        return min(1.0, (s.volume_cc or 0.0) / max(self.roi_volume_cc, 1e-9))

    def value_and_gradient(self, dose: np.ndarray) -> tuple[float, np.ndarray]:
        """Unweighted penalty and its gradient with respect to the dose of `rows` (same order)."""
        value, idx, grad = self.penalty(dose)
        dense = np.zeros_like(dose)
        dense[idx] = grad
        return value, dense

    def penalty(self, dose: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Unweighted penalty and its gradient as (voxel indices, values): most voxels have none."""
        t, level, n = self.spec.type, self.level, max(self.count, 1)
        if t is FunctionType.UNIFORMITY_CONSTRAINT:
            value, grad = self._uniformity(dose)
            return value, np.arange(dose.size), grad
        if t in (FunctionType.MIN_EUD, FunctionType.MAX_EUD, FunctionType.TARGET_EUD):
            value, idx, grad = eud(dose, self.spec.eud_a, EUD_FLOOR * level)
            miss, slope = relative_miss(np.asarray(value), level)
            if (t is FunctionType.MIN_EUD and miss > 0) or (t is FunctionType.MAX_EUD and miss < 0):
                return 0.0, idx[:0], grad[:0]
            return float(miss * miss), idx, (2.0 * miss * slope) * grad
        if t is FunctionType.DOSE_FALL_OFF:
            idx = np.flatnonzero(dose > self.reference)
            d, ref = dose[idx], self.reference[idx]
            big = np.maximum(d, level)
            x = (d - ref) / big
            slope = np.where(d > level, ref / (big * big), 1.0 / level)
        else:
            if t is FunctionType.MAX_DOSE:
                idx = np.flatnonzero(dose > level)
            elif t is FunctionType.MIN_DOSE:
                idx = np.flatnonzero(dose < level)
            elif t in (FunctionType.MAX_DVH, FunctionType.MIN_DVH):
                idx = self._dvh_excess(dose, level)
            else:
                idx = np.arange(dose.size)
            x, slope = relative_miss(dose[idx], level)
        return float(x @ x) / n, idx, 2.0 * x * slope / n

    def _dvh_excess(self, dose: np.ndarray, level: float) -> np.ndarray:
        """Voxels a DVH function penalizes: those between its level and the dose at its volume."""
        allowed = round(self.volume_fraction() * dose.size)
        if self.spec.type is FunctionType.MAX_DVH:
            # Only the hottest `allowed` voxels may exceed the level: penalize the other hot ones.
            hot = np.flatnonzero(dose > level)
            if hot.size <= allowed:
                return hot[:0]
            return hot[np.argpartition(-dose[hot], allowed)[allowed:]] if allowed else hot
        # At least `allowed` voxels must reach the level: penalize the coldest ones needed.
        cold = np.flatnonzero(dose < level)
        missing = allowed - (dose.size - cold.size)
        if missing <= 0:
            return cold[:0]
        return cold[np.argpartition(-dose[cold], missing - 1)[:missing]] if missing < cold.size else cold

    def _uniformity(self, dose: np.ndarray) -> tuple[float, np.ndarray]:
        n = dose.size
        mean = max(float(dose.mean()), 1e-9)
        std = float(dose.std())
        limit = max(self.spec.std_dev_percent / 100.0, 1e-9)
        excess = std / mean / limit - 1.0
        if excess <= 0 or std == 0:
            return 0.0, np.zeros_like(dose)
        d_cv = (dose - mean) / (n * std * mean) - std / (n * mean * mean)
        return excess * excess, (2.0 * excess / limit) * d_cv

    def achieved(self, dose: np.ndarray) -> float | None:
        """The achieved level: min/max dose, dose at the DVH volume, EUD; for a dose fall-off, the low dose
        level at which its reference profile would be just met (what tightening a fall-off scales)."""
        t = self.spec.type
        if dose.size == 0:
            return None
        if t is FunctionType.MIN_DOSE:
            return float(dose.min())
        if t is FunctionType.MAX_DOSE:
            return float(dose.max())
        if t is FunctionType.UNIFORM_DOSE:
            return float(dose.mean())
        if t in (FunctionType.MIN_DVH, FunctionType.MAX_DVH):
            return dvh.dose_at_volume(dose, self.volume_fraction())
        if t in (FunctionType.MIN_EUD, FunctionType.MAX_EUD, FunctionType.TARGET_EUD):
            return eud(dose, self.spec.eud_a, EUD_FLOOR * self.level)[0]
        if t is FunctionType.DOSE_FALL_OFF:
            return self._fall_off_achieved(dose)
        return None

    def _fall_off_achieved(self, dose: np.ndarray) -> float | None:
        high, low = self.spec.high_dose_cgy, self.spec.low_dose_cgy
        outside = np.isfinite(self.reference)
        d, ref = dose[outside], self.reference[outside]
        if d.size == 0:
            return None
        if high - low <= 1e-9:
            return float(min(d.max(), high))
        # The reference falls from `high` at the target surface to the low level over the distance: a
        # voxel at fraction f of that fall is just met by the low level high - (high - d) / f.
        fall = (high - ref) / (high - low)
        ahead = fall > 1e-6
        if not ahead.any():
            return None
        needed = high - (high - d[ahead]) / fall[ahead]
        return float(np.clip(needed.max(), 0.0, high))


def relative_miss(dose: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """(dose - level) / max(dose, level) and its derivative with respect to the dose."""
    big = np.maximum(dose, level)
    return (dose - level) / big, level / (big * big)


def fall_off_reference(spec: FunctionSpec, distance_mm: np.ndarray) -> np.ndarray:
    """Reference dose of a DoseFallOff: high at the target surface, falling linearly to low at the distance."""
    span = max(spec.low_dose_distance_cm * 10.0, 1e-6)
    frac = np.clip(distance_mm / span, 0.0, 1.0)
    return spec.high_dose_cgy - (spec.high_dose_cgy - spec.low_dose_cgy) * frac
