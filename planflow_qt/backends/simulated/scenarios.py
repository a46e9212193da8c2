"""Robustness scenarios: setup shifts of the isocenter and density scalings, and their spot doses.

The scenarios of `plan.robustness` are the nominal position and one shift along each of the six
directions with a non-zero uncertainty, each combined with the nominal density and the density scaled up
and down by the density uncertainty (7 x 3 = 21 scenarios with every uncertainty set), as RayStation's
full set. A shift moves the isocenter relative to the patient (a rigid setup error; the spots and their
energies stay), a density scaling scales the water-equivalent depth. Influence matrices of the scenarios
are built only for the rows asked for (the voxels of robust functions, or an ROI being evaluated) and
kept while the spots are unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import numpy as np

from planflow_qt.backends.simulated import pbs
from planflow_qt.backends.simulated.dose_engine import DoseGeometry, Influence
from planflow_qt.model.planning import Robustness

log = logging.getLogger(__name__)

NOMINAL = "nominal"

_DIRECTIONS = (("superior", (0.0, 0.0, 1.0)), ("inferior", (0.0, 0.0, -1.0)),
               ("anterior", (0.0, -1.0, 0.0)), ("posterior", (0.0, 1.0, 0.0)),
               ("left", (1.0, 0.0, 0.0)), ("right", (-1.0, 0.0, 0.0)))


@dataclass(frozen=True)
class Scenario:
    """One scenario: isocenter shift relative to the patient (mm, patient coordinates), density scale."""

    name: str
    shift_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    density_scale: float = 1.0


def scenarios(robustness: Robustness) -> list[Scenario]:
    """The nominal scenario first, then every shift x density combination."""
    shifts = [(NOMINAL, (0.0, 0.0, 0.0))]
    for label, unit in _DIRECTIONS:
        cm = getattr(robustness, f"{label}_cm")
        if cm > 0:
            shifts.append((f"{label} {cm:g} cm", tuple(10.0 * cm * u for u in unit)))
    d = robustness.density_percent / 100.0
    densities = [(1.0, "")] + ([(1.0 + d, f"density +{robustness.density_percent:g} %"),
                                (1.0 - d, f"density -{robustness.density_percent:g} %")] if d > 0 else [])
    out = []
    for scale, density_label in densities:
        for label, shift in shifts:
            if label == NOMINAL and density_label:
                name = density_label
            else:
                name = ", ".join(x for x in (label, density_label) if x)
            out.append(Scenario(name, shift, scale))
    return out


class ScenarioDoses:
    """Influence matrices of the scenarios of one spot plan, restricted to sets of rows, built on demand."""

    def __init__(self, geo: DoseGeometry, spots: pbs.SpotPlan, nominal: Influence, robustness: Robustness):
        self.geo, self.spots, self.nominal = geo, spots, nominal
        self.scenarios = scenarios(robustness)
        self._cache: dict[tuple[int, str], Influence] = {}

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    @staticmethod
    def _key(index: int, rows: np.ndarray) -> tuple[int, str]:
        return index, hashlib.sha1(rows.tobytes()).hexdigest()

    def has(self, index: int, rows: np.ndarray) -> bool:
        """Whether the influence of scenario `index` at these rows is built."""
        return index == 0 or self._key(index, rows) in self._cache

    def influence(self, index: int, rows: np.ndarray) -> Influence:
        """The influence of scenario `index` at these rows of the dose geometry."""
        key = self._key(index, rows)
        if key not in self._cache:
            scenario = self.scenarios[index]
            if index == 0:
                matrix = self.nominal.matrix[rows]
                self._cache[key] = Influence(matrix, matrix.T.tocsr(), self.nominal.beamlet_arc, self.nominal.arcs,
                                             self.nominal.n_control_points, 0.0)
            else:
                self._cache[key] = pbs.build_influence(self.geo, self.spots, rows, scenario.shift_mm,
                                                       scenario.density_scale)
        return self._cache[key]

    def all(self, rows: np.ndarray) -> list[Influence]:
        """Every scenario's influence at these rows (nominal first)."""
        start = time.perf_counter()
        out = [self.influence(i, rows) for i in range(len(self.scenarios))]
        log.info("%d scenarios on %d voxels: %.2f s", len(out), rows.size, time.perf_counter() - start)
        return out
