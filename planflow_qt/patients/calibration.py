"""CT calibration: Hounsfield units to relative electron density, a piecewise-linear table.

The default table is a typical 120 kV clinical calibration (tissue points after Schneider, Bortfeld and
Schlegel, "Correlation between CT numbers and tissue parameters needed for Monte Carlo simulations of clinical
dose distributions", Phys. Med. Biol. 45 (2000) 459, and the stoichiometric method of Schneider, Pedroni and
Lomax, Phys. Med. Biol. 41 (1996) 111): air -1000 HU -> 0.001, lung -700 -> 0.29, adipose -100 -> 0.93,
water 0 -> 1.0, muscle 40 -> 1.04, bone 1000 -> 1.53, cortical bone 1500 -> 1.82. Beyond the table the end
values hold. A clinic replaces it with its own table as a CSV file (see `read_calibration`).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planflow_qt.patients.errors import PatientError

DEFAULT_POINTS: tuple[tuple[float, float], ...] = (
    (-1000.0, 0.001), (-700.0, 0.29), (-100.0, 0.93), (0.0, 1.0), (40.0, 1.04), (1000.0, 1.53), (1500.0, 1.82))
"""(HU, relative electron density) of the default calibration."""


@dataclass(frozen=True)
class Calibration:
    """A HU -> relative electron density table: HU strictly increasing, density strictly increasing."""

    hu: tuple[float, ...]
    density: tuple[float, ...]
    source: str = "default (typical 120 kV table)"

    @classmethod
    def default(cls) -> Calibration:
        """The documented default table."""
        hu, density = zip(*DEFAULT_POINTS, strict=True)
        return cls(hu, density)

    def to_density(self, hu: np.ndarray) -> np.ndarray:
        """Relative electron density (float32) of HU values; the end values hold beyond the table."""
        return np.interp(hu, self.hu, self.density).astype(np.float32)

    def lookup(self, hu: np.ndarray) -> np.ndarray:
        """Density (float32) of a CT in integer HU within -1024 to 3071, through a table of every HU value (a
        512 x 512 x 200 CT converts without float64 temporaries)."""
        table = self.to_density(np.arange(-1024, 3072))
        return table[np.clip(hu, -1024, 3071).astype(np.int16) + 1024]

    def to_hu(self, density: np.ndarray) -> np.ndarray:
        """The HU values (int16) that this table maps to `density` (its inverse), e.g. to write a phantom's CT."""
        return np.rint(np.interp(density, self.density, self.hu)).astype(np.int16)


def read_calibration(path: str | Path) -> Calibration:
    """A calibration table from a CSV file: two columns, HU and relative electron density, one point per line.

    A first line that is not numbers is a header; lines starting with `#` and blank lines are skipped. At least
    two points, HU strictly increasing and density strictly increasing. Raises `PatientError` naming the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PatientError(f"{path}: cannot read the CT calibration ({exc}): give a UTF-8 CSV file of HU, "
                           "density lines") from None
    hu: list[float] = []
    density: list[float] = []
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        try:
            values = [float(v) for v in row if v.strip()]
        except ValueError:
            if not hu:
                continue  # the header
            raise PatientError(f"{path} line {number}: {','.join(row)!r} is not two numbers (HU, density)") from None
        if len(values) != 2 or not all(math.isfinite(v) for v in values):
            raise PatientError(f"{path} line {number}: give two numbers, HU and relative electron density")
        if hu and (values[0] <= hu[-1] or values[1] <= density[-1]):
            raise PatientError(f"{path} line {number}: HU and density must both increase from line to line")
        if values[1] < 0:
            raise PatientError(f"{path} line {number}: a relative electron density cannot be negative")
        hu.append(values[0])
        density.append(values[1])
    if len(hu) < 2:
        raise PatientError(f"{path}: a CT calibration needs at least two lines of HU, density")
    return Calibration(tuple(hu), tuple(density), source=str(path))
