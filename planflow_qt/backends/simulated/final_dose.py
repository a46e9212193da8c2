"""The collapsed-cone final dose of a photon plan: density-scaled kernels instead of the pencil beam's.

The optimizer's pencil beam scales the dose along each ray (radiological depth); sideways it widens
the electron spread in lung less than the density falls (density^-0.9, `BeamModel`) and caps it at
9 mm. Like a collapsed-cone engine, this final dose scales the lateral electron kernel with 1/density
(O'Connor's theorem) and lets it reach 1.5 times as far; the scatter bath is the pencil beam's. In
water both doses agree; in lung next to a target the collapsed-cone dose is lower inside the field and
broader at its edge, and a narrow field loses more dose entering a lung slab and builds it up again
after it (lateral electron disequilibrium). The dose is computed directly from the beamlet weights (no
influence matrix).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

from planflow_qt.backends.simulated.beams import ControlPoint
from planflow_qt.backends.simulated.dose_engine import (
    DoseGeometry,
    ScatterBath,
    beam_view,
    beamlet_cells,
    view_dose,
)
from planflow_qt.backends.simulated.parallel import ordered_map

log = logging.getLogger(__name__)

PARALLEL_ROWS = 500_000
"""Body voxels up to which the control points' doses are computed on the engine's threads."""


def collapsed_cone_dose(geo: DoseGeometry, iso_mm: Sequence[float], control_points: Sequence[ControlPoint],
                        target: np.ndarray, weights: np.ndarray, bath: ScatterBath | None = None) -> np.ndarray:
    """Dose on the body rows of beamlet weights given in the influence matrix's column order (the same
    control points and target); `bath` the geometry's scatter bath when already built."""
    start = time.perf_counter()
    iso = np.asarray(iso_mm, dtype=float)
    target_rows = geo.target_rows(target)
    radius = geo.radius_mm(iso)
    weights = np.asarray(weights, dtype=np.float32)
    cells = [beamlet_cells(geo, iso, cp, target_rows) for cp in control_points]
    if sum(len(c) for c in cells) != weights.size:
        raise ValueError(f"{weights.size} weights for {sum(len(c) for c in cells)} beamlets")
    primary = np.zeros(geo.rows.size, dtype=np.float32)
    starts = np.cumsum([0, *(len(c) for c in cells)])

    def control_point_dose(i: int) -> tuple[np.ndarray, np.ndarray] | None:
        w = weights[starts[i]:starts[i + 1]]
        if not w.any():
            return None
        view = beam_view(geo, iso, control_points[i], cells[i], radius, density_scaled=True)
        return view.band, view_dose(view, w)

    # Control points on the engine's threads, summed in order: the dose is the same as in one thread. On a
    # fine grid each view in flight holds about 100 MB, on top of the optimization's influence matrix: there
    # the control points run one at a time.
    spread = ordered_map if geo.rows.size <= PARALLEL_ROWS else map
    for part in spread(control_point_dose, range(len(control_points))):
        if part is not None:
            primary[part[0]] += part[1]
    dose = (bath if bath is not None else ScatterBath(geo))(primary)
    log.info("collapsed-cone dose: %d control points, %.2f s", len(control_points), time.perf_counter() - start)
    return dose
