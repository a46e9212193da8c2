"""The voxel grid of a phantom: array axes, voxel centers and DICOM patient coordinates.

Arrays are indexed `[ix, iy, iz]`: axis 0 runs along x (patient's right to left), axis 1 along y
(anterior to posterior), axis 2 along z (inferior to superior), as in DICOM patient coordinates for a
head-first supine patient. Positions are in mm inside the package; the Backend speaks cm.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Grid:
    """A regular grid of cubic voxels; `origin_mm` is the center of voxel [0, 0, 0]."""

    shape: tuple[int, int, int]
    voxel_mm: float
    origin_mm: tuple[float, float, float]

    @classmethod
    def centered(cls, extent_mm: tuple[float, float, float], voxel_mm: float) -> Grid:
        """A grid covering `extent_mm` (x, y, z) centered on the origin of patient coordinates."""
        nx, ny, nz = (max(1, round(e / voxel_mm)) for e in extent_mm)
        return cls(shape=(nx, ny, nz), voxel_mm=float(voxel_mm),
                   origin_mm=(-(nx - 1) * voxel_mm / 2.0, -(ny - 1) * voxel_mm / 2.0, -(nz - 1) * voxel_mm / 2.0))

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @cached_property
    def mesh_mm(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Voxel-center coordinates (mm) as three broadcastable arrays (x, y, z)."""
        x, y, z = (o + self.voxel_mm * np.arange(n) for o, n in zip(self.origin_mm, self.shape, strict=True))
        return x[:, None, None], y[None, :, None], z[None, None, :]

    def positions_mm(self, flat_index: np.ndarray) -> np.ndarray:
        """Centers (n x 3, mm) of the voxels with these flat indices."""
        idx = np.unravel_index(flat_index, self.shape)
        return np.stack([o + self.voxel_mm * i for o, i in zip(self.origin_mm, idx, strict=True)], axis=1)
