"""Optimization functions: value, analytic gradient and achieved level of every RayStation function type.

A function's value is a quadratic penalty normalized by its dose level, as RayStation's feedback values
are, so values are dimensionless and a threshold such as the lung study's 4e-4 means the same thing on
every ROI: a miss of 2 % of the level squared. Per type (d: a voxel's dose, L: the level, `_+` keeps
misses on the penalized side only):

- MinDose / MaxDose: mean over the ROI of ((L - d)_+ / L)^2, resp. ((d - L)_+ / L)^2.
- MinDvh / MaxDvh: the same, over the voxels that keep the DVH from its point (the coldest voxels missing
  from the required volume, the hottest voxels beyond the allowed volume), averaged over the ROI.
- UniformDose: mean over the ROI of ((d - L) / L)^2.
- MinEud / MaxEud / TargetEud: ((EUD - L) / L)^2, one-sided for Min and Max.
- DoseFallOff: the reference dose r falls linearly from the high level at the target surface to the low
  level L at the low-dose distance; every voxel of the ROI outside the target adds ((d - r)_+ / L)^2 (L is
  the level a flow tightens), and the sum is averaged over the voxels of the fall-off region (outside the
  target, within the low-dose distance; at least the nearest shell of voxels), not over the whole ROI.
- UniformityConstraint: ((CV - c) / c)_+^2 with CV the standard deviation over the mean and c its limit.

Values here exclude the weight; the backend's feedback multiplies by it (see docs/function_values.md).
Constraints are the same penalties; the optimizer gives them a stiff weight.
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
_EUD_TYPES = (FunctionType.MIN_EUD, FunctionType.MAX_EUD, FunctionType.TARGET_EUD)


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
    ignores) and `region`, the number of voxels of its fall-off region its value is averaged over.
    """

    spec: FunctionSpec
    rows: np.ndarray
    roi_volume_cc: float
    reference: np.ndarray | None = None
    region: int | None = None

    def __post_init__(self) -> None:
        self.count = self.region if self.region is not None else self.rows.size

    @property
    def level(self) -> float:
        """The function's dose level (for a fall-off, its high dose level: the EUD floor's scale)."""
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
        """Unweighted value and its gradient with respect to the dose of `rows` (same order)."""
        value, idx, grad = self.penalty(dose)
        dense = np.zeros_like(dose)
        dense[idx] = grad
        return value, dense

    def penalty(self, dose: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Unweighted value and its gradient as (voxel indices, values): most voxels have none."""
        t, level, n = self.spec.type, self.level, max(self.count, 1)
        if t is FunctionType.UNIFORMITY_CONSTRAINT:
            value, grad = self._uniformity(dose)
            return value, np.arange(dose.size), grad
        if t in _EUD_TYPES:
            value, idx, grad = eud(dose, self.spec.eud_a, EUD_FLOOR * level)
            miss = (value - level) / level
            if (t is FunctionType.MIN_EUD and miss > 0) or (t is FunctionType.MAX_EUD and miss < 0):
                return 0.0, idx[:0], grad[:0]
            return miss * miss, idx, (2.0 * miss / level) * grad
        target = level
        if t is FunctionType.DOSE_FALL_OFF:
            idx = np.flatnonzero(dose > self.reference)
            target, level = self.reference[idx], max(self.spec.low_dose_cgy, 1e-6)  # L: the level a flow tightens
        elif t is FunctionType.MAX_DOSE:
            idx = np.flatnonzero(dose > level)
        elif t is FunctionType.MIN_DOSE:
            idx = np.flatnonzero(dose < level)
        elif t in (FunctionType.MAX_DVH, FunctionType.MIN_DVH):
            idx = self._dvh_excess(dose, level)
        else:
            idx = np.arange(dose.size)
        x = (dose[idx] - target) / level
        return float(x @ x) / n, idx, 2.0 * x / (level * n)

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
        """The achieved level: the min or max dose, the mean for UniformDose, the dose at the DVH volume,
        the EUD; for a dose fall-off, the lowest low level its dose meets. None for a UniformityConstraint."""
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
        if t in _EUD_TYPES:
            return eud(dose, self.spec.eud_a, EUD_FLOOR * self.level)[0]
        if t is FunctionType.DOSE_FALL_OFF:
            return self._fall_off_achieved(dose)
        return None

    def _fall_off_achieved(self, dose: np.ndarray) -> float | None:
        """The lowest low level whose reference the dose outside the target stays under.

        The reference at a voxel a fraction f of the way down the fall-off is high - (high - low) x f, so
        the voxel is met by any low level from high - (high - d) / f. Voxels at or above the high level
        are missed by every low level and say nothing about it: they are left out.
        """
        high, low = self.spec.high_dose_cgy, self.spec.low_dose_cgy
        outside = np.isfinite(self.reference)
        d, ref = dose[outside], self.reference[outside]
        if high - low <= 1e-9:
            return float(low)
        fall = (high - ref) / (high - low)
        use = (fall > 1e-6) & (d < high)
        if not use.any():
            return None
        return max(0.0, float((high - (high - d[use]) / fall[use]).max()))


def fall_off_reference(spec: FunctionSpec, distance_mm: np.ndarray) -> np.ndarray:
    """Reference dose of a DoseFallOff: high at the target surface, falling linearly to low at the distance;
    infinite inside the target (distance 0), which the function ignores."""
    span = max(spec.low_dose_distance_cm * 10.0, 1e-6)
    frac = np.clip(distance_mm / span, 0.0, 1.0)
    reference = spec.high_dose_cgy - (spec.high_dose_cgy - spec.low_dose_cgy) * frac
    return np.where(distance_mm > 0, reference, np.inf)


def fall_off_term(spec: FunctionSpec, rows: np.ndarray, roi_volume_cc: float, distance_mm: np.ndarray) -> Term:
    """A DoseFallOff bound to its voxels, `distance_mm` from the target surface per row.

    Its region is the voxels outside the target within the low-dose distance, or the nearest shell of
    voxels when the grid has none that close.
    """
    outside = distance_mm > 0
    span = spec.low_dose_distance_cm * 10.0
    region = int((outside & (distance_mm <= span + 1e-6)).sum())
    if region == 0 and outside.any():
        nearest = float(distance_mm[outside].min())
        region = int((outside & (distance_mm <= nearest * 1.001)).sum())
    return Term(spec=spec, rows=rows, roi_volume_cc=roi_volume_cc, reference=fall_off_reference(spec, distance_mm),
                region=region)
