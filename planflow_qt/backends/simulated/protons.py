"""Proton physics of the pencil-beam model: range-energy, Bragg curve, spot size, range shifter.

- Range in water from the NIST PSTAR table of CSDA ranges (`PSTAR_CSDA_RANGE_MM`), interpolated
  linearly in log(range) against log(energy) (a piecewise Bragg-Kleeman rule R = alpha E^p).
- Bragg curve of a layer of residual range R: the stopping power of the continuous slowing down,
  (R - z)^(1/p - 1) with p = 1.77, times a fluence falling 1 % per cm (nuclear interactions), convolved
  with a Gaussian range spread: straggling of sigma 1.2 % of the range the protons had before any range
  shifter, added in quadrature to the beam's energy spread (0.8 %, i.e. 1.4 % of the range). The curve
  is placed so its distal 80 % point (R80) lies at R: for a pristine peak R80 is the CSDA range, the
  Bragg peak lies a little proximal of it. Curves are normalized to 1 at the peak.
- Lateral spot sigma: in-air sigma (5 mm at 70 MeV down to 3 mm at 230 MeV), widened by the multiple
  scattering in a range shifter times the air gap to the patient (Highland), plus the multiple scattering
  in the patient growing with the water-equivalent depth as 0.022 R (z / R)^1.5 (Highland-like).
- A range shifter named with a number (`RS40`) has that many mm of water-equivalent thickness; any other
  non-empty id is 40 mm.
Lengths are in mm, energies in MeV.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

PSTAR_CSDA_RANGE_MM = ((70.0, 40.80), (100.0, 77.18), (150.0, 157.7), (200.0, 259.6), (230.0, 329.1))
"""(energy MeV, CSDA range mm) of protons in liquid water: NIST PSTAR (Berger et al., ESTAR, PSTAR and
ASTAR, NIST Standard Reference Database 124), CSDA ranges 4.080, 7.718, 15.77, 25.96, 32.91 g/cm2."""
P = 1.77
"""Bragg-Kleeman exponent of the stopping power's shape near the end of range."""
STRAGGLING = 0.012
"""Range straggling sigma as a fraction of the range."""
ENERGY_SPREAD = 0.008
"""Relative energy spread of the beam (sigma): a range spread of p x 0.8 % of the range."""
NUCLEAR_PER_MM = 0.001
"""Fraction of the primary fluence lost per mm of water."""
MCS_AT_RANGE = 0.022
"""Multiple-scattering sigma at the end of range, as a fraction of the range."""
PROTON_MASS_MEV = 938.272
WATER_RADIATION_LENGTH_MM = 360.8
DEFAULT_SHIFTER_MM = 40.0
E_MIN_MEV, E_MAX_MEV = 70.0, 230.0
"""Energies the simulated machine delivers."""

_STEP_MM = 0.1


_LOG_E, _LOG_R = np.log(np.array(PSTAR_CSDA_RANGE_MM)).T


def _loglog(x: float | np.ndarray, xs: np.ndarray, ys: np.ndarray) -> float | np.ndarray:
    """Piecewise-linear interpolation in log-log, extrapolated along the end segments."""
    lx = np.log(np.asarray(x, dtype=float))
    i = np.clip(np.searchsorted(xs, lx) - 1, 0, xs.size - 2)
    slope = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i])
    out = np.exp(ys[i] + slope * (lx - xs[i]))
    return float(out) if np.ndim(out) == 0 else out


def range_mm(energy_mev: float | np.ndarray) -> float | np.ndarray:
    """CSDA range in water (mm) of protons of this energy (NIST PSTAR)."""
    return _loglog(energy_mev, _LOG_E, _LOG_R)


def energy_mev(range_in_water_mm: float | np.ndarray) -> float | np.ndarray:
    """Energy (MeV) of protons with this CSDA range in water."""
    return _loglog(range_in_water_mm, _LOG_R, _LOG_E)


def shifter_wet_mm(range_shifter: str) -> float:
    """Water-equivalent thickness (mm) of a range shifter id; 0 for none."""
    if not range_shifter or range_shifter.strip().lower() in ("none", "(none)"):
        return 0.0
    digits = re.findall(r"\d+(?:\.\d+)?", range_shifter)
    return float(digits[0]) if digits else DEFAULT_SHIFTER_MM


def highland_theta(energy: float, thickness_mm: float) -> float:
    """Multiple-scattering angle (rad) of protons of `energy` MeV through `thickness_mm` of water."""
    if thickness_mm <= 0:
        return 0.0
    pc = math.sqrt(energy * energy + 2.0 * energy * PROTON_MASS_MEV)
    beta = pc / (energy + PROTON_MASS_MEV)
    ratio = thickness_mm / WATER_RADIATION_LENGTH_MM
    return 13.6 / (beta * pc) * math.sqrt(ratio) * (1.0 + 0.038 * math.log(ratio))


def air_sigma_mm(energy: float) -> float:
    """Spot sigma in air at the isocenter (mm): 5 mm at 70 MeV, 3 mm at 230 MeV."""
    frac = (min(max(energy, E_MIN_MEV), E_MAX_MEV) - E_MIN_MEV) / (E_MAX_MEV - E_MIN_MEV)
    return 5.0 - 2.0 * frac


@lru_cache(maxsize=512)
def _bragg_table(residual_mm: float, straggle_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Depths (mm) and normalized depth dose of a layer, distal 80 % exactly at `residual_mm`."""
    q = 1.0 / P - 1.0
    reach = residual_mm + 5.0 * straggle_mm
    edges = np.append(np.arange(0.0, residual_mm - 0.5 * _STEP_MM, _STEP_MM), residual_mm)
    # Bin averages of (R - z)^q: exact integrals of the antiderivative, finite at the singularity.
    anti = -np.power(residual_mm - edges, q + 1.0) / (q + 1.0)
    stopping = np.diff(anti) / np.diff(edges)
    centers = 0.5 * (edges[:-1] + edges[1:])
    pad = math.ceil(6.0 * straggle_mm / _STEP_MM) + 1
    core = stopping * (1.0 - NUCLEAR_PER_MM * centers)
    # Before the surface the curve continues flat, so the convolution does not bend the entrance down.
    raw = np.concatenate([np.full(pad, core[0]), core, np.zeros(pad)])
    k = np.arange(-pad, pad + 1) * _STEP_MM
    kernel = np.exp(-0.5 * (k / max(straggle_mm, 1e-3)) ** 2)
    smooth = np.convolve(raw, kernel / kernel.sum(), mode="same")
    depth = np.concatenate([centers[0] - _STEP_MM * np.arange(pad, 0, -1), centers,
                            centers[-1] + _STEP_MM * np.arange(1, pad + 1)])
    peak = int(np.argmax(smooth))
    dose = smooth / smooth[peak]
    distal = dose[peak:]
    r80 = float(np.interp(0.8, distal[::-1], depth[peak:][::-1]))
    depth = depth + (residual_mm - r80)
    keep = (depth >= 0.0) & (depth <= reach)
    depth, dose = depth[keep], dose[keep]
    return np.concatenate([[0.0], depth]), np.concatenate([[dose[0]], dose])


@dataclass(frozen=True)
class Layer:
    """One energy layer: residual range in the patient (mm) after a range shifter of `shifter_mm` WET."""

    residual_mm: float
    shifter_mm: float = 0.0

    @property
    def energy(self) -> float:
        """Beam energy (MeV) at the nozzle."""
        return float(energy_mev(self.residual_mm + self.shifter_mm))

    @property
    def straggle_mm(self) -> float:
        return math.hypot(STRAGGLING, P * ENERGY_SPREAD) * (self.residual_mm + self.shifter_mm)

    def depth_dose(self, wet_mm: np.ndarray) -> np.ndarray:
        """Relative dose (1 at the Bragg peak) at these water-equivalent depths (mm); 0 beyond the tail."""
        depth, dose = _bragg_table(round(self.residual_mm, 2), round(self.straggle_mm, 3))
        return np.interp(wet_mm, depth, dose, left=float(dose[0]), right=0.0)

    def reach_mm(self) -> float:
        """Depth beyond which the layer gives no dose."""
        return self.residual_mm + 5.0 * self.straggle_mm

    def peak_width_mm(self) -> float:
        """Width of the Bragg peak at 80 % of its maximum (mm)."""
        depth, dose = _bragg_table(round(self.residual_mm, 2), round(self.straggle_mm, 3))
        above = depth[dose >= 0.8]
        return float(above.max() - above.min())

    def sigma_mm(self, wet_mm: np.ndarray, air_gap_mm: float) -> np.ndarray:
        """Lateral spot sigma (mm) at these water-equivalent depths, with an air gap after the shifter."""
        air = air_sigma_mm(self.energy) ** 2
        if self.shifter_mm > 0:
            air += (highland_theta(self.energy, self.shifter_mm) * air_gap_mm) ** 2
        t = np.clip(np.asarray(wet_mm) / self.residual_mm, 0.0, 1.0)
        mcs = MCS_AT_RANGE * self.residual_mm * t**1.5
        return np.sqrt(air + mcs * mcs)
