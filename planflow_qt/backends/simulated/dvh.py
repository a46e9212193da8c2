"""Dose-volume queries on the doses of an ROI's voxels (all voxels have the same volume).

The cumulative DVH V(D) (fraction of the voxels receiving at least D) is interpolated linearly between
the voxel doses, and D(V) is its exact inverse, so a plan normalized to D95 = 6000 cGy reads
V6000 = 95 %. Results are rounded to 1e-9 so that such an identity survives floating point.
"""

from __future__ import annotations

import numpy as np


class Dvh:
    """The cumulative DVH of an ROI's voxel doses, sorted once for any number of queries."""

    def __init__(self, dose: np.ndarray):
        if dose.size == 0:
            raise ValueError("the ROI has no voxels")
        self.doses, counts = np.unique(dose, return_counts=True)
        # Fraction of the voxels receiving at least each distinct dose.
        self.volumes = np.cumsum(counts[::-1])[::-1] / dose.size
        self.mean, self.min, self.max = float(dose.mean()), float(self.doses[0]), float(self.doses[-1])

    def dose_at_volume(self, fraction: float) -> float:
        """Dose D such that the given fraction (0-1) of the voxels receives at least D."""
        return round(float(np.interp(fraction, self.volumes[::-1], self.doses[::-1])), 9)

    def volume_at_dose(self, level: float) -> float:
        """Fraction (0-1) of the voxels receiving at least `level`."""
        if level > self.max:
            return 0.0
        return round(float(np.interp(level, self.doses, self.volumes)), 9)

    def cumulative(self, step: float) -> list[tuple[float, float]]:
        """(dose, volume %) pairs every `step` from 0 to the first level above the maximum dose."""
        levels = step * np.arange(int(self.max // step) + 2)
        percent = np.where(levels > self.max, 0.0, 100.0 * np.interp(levels, self.doses, self.volumes))
        return [(float(d), round(float(v), 7)) for d, v in zip(levels, percent, strict=True)]


def dose_at_volume(dose: np.ndarray, fraction: float) -> float:
    """Dose D such that the given fraction (0-1) of the voxels receives at least D."""
    return Dvh(dose).dose_at_volume(fraction)
