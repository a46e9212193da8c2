"""Robust optimization: functions marked robust judged over every scenario of the plan's robustness.

Non-robust functions see the nominal dose (the `Problem` they sit in). Robust functions see the dose of
each scenario on their own voxels, scaled by the nominal auto-scale factor, and are combined:
- composite worst case: the weighted power mean (power 12) of the scenarios' robust totals, a smooth
  stand-in for their maximum (RayStation's WeightedPowerMean minimax);
- voxelwise worst case: each function sees, per voxel, the worst dose over the scenarios: the lowest
  for Min functions, the highest for Max functions and fall-offs, the farthest from the level for the
  two-sided ones. The gradient flows to the scenario that gave each voxel's dose.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from planflow_qt.backends.simulated.dose_engine import Influence
from planflow_qt.backends.simulated.objectives import Term
from planflow_qt.backends.simulated.optimizer import CONSTRAINT_WEIGHT, Problem
from planflow_qt.model.planning import FunctionType, RobustMethod

POWER = 12.0
"""Exponent of the power mean of the composite worst case."""

_LOWEST = {FunctionType.MIN_DOSE, FunctionType.MIN_DVH, FunctionType.MIN_EUD}
_HIGHEST = {FunctionType.MAX_DOSE, FunctionType.MAX_DVH, FunctionType.MAX_EUD, FunctionType.DOSE_FALL_OFF}


def power_mean(values: np.ndarray, power: float = POWER) -> tuple[float, np.ndarray]:
    """(mean of values^power)^(1/power) and its derivative with respect to each value (values >= 0)."""
    top = float(values.max())
    if top <= 0:
        return 0.0, np.full(values.size, 1.0 / values.size)
    r = values / top
    mean = float(np.mean(r**power))
    return top * mean ** (1.0 / power), r ** (power - 1.0) / values.size * mean ** (1.0 / power - 1.0)


def worst_voxels(term: Term, doses: np.ndarray) -> np.ndarray:
    """Index of the worst scenario per voxel for this function (`doses`: scenarios x voxels)."""
    if term.spec.type in _LOWEST:
        return np.argmin(doses, axis=0)
    if term.spec.type in _HIGHEST:
        return np.argmax(doses, axis=0)
    return np.argmax(np.abs(doses - term.level), axis=0)


class RobustProblem:
    """A nominal `Problem` (non-robust functions, auto-scaling) plus robust functions over scenarios.

    `scenarios` are the influences of every scenario at `rows` (dose rows, sorted), the union of the
    robust functions' rows; it offers what `optimize` and the backend use of a `Problem`.
    """

    def __init__(self, base: Problem, robust: list[Term], scenarios: list[Influence], rows: np.ndarray,
                 method: RobustMethod):
        self.base, self.scenarios, self.method = base, scenarios, method
        self.influence, self.autoscale = base.influence, base.autoscale
        self.terms = [(dataclasses.replace(t, rows=np.searchsorted(rows, t.rows)),
                       CONSTRAINT_WEIGHT if t.spec.constraint else t.spec.weight) for t in robust]
        self.rows = rows

    def dose(self, weights: np.ndarray) -> np.ndarray:
        return self.base.dose(weights)

    def scale(self, weights: np.ndarray) -> float:
        return self.base.scale(weights)

    def term_doses(self, weights: np.ndarray) -> list[tuple[Term, np.ndarray]]:
        return self.base.term_doses(weights)

    def _composite(self, doses: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        totals, grads = np.zeros(len(doses)), []
        for s, dose in enumerate(doses):
            grad = np.zeros(dose.size)
            for term, weight in self.terms:
                value, idx, g = term.penalty(dose[term.rows])
                totals[s] += weight * value
                np.add.at(grad, term.rows[idx], weight * g)
            grads.append(grad)
        value, slopes = power_mean(totals)
        return value, [slope * g for slope, g in zip(slopes, grads, strict=True)]

    def _voxelwise(self, doses: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        stack = np.stack(doses)
        grads = np.zeros_like(stack)
        total = 0.0
        for term, weight in self.terms:
            local = stack[:, term.rows]
            pick = worst_voxels(term, local)
            value, idx, g = term.penalty(local[pick, np.arange(term.rows.size)])
            total += weight * value
            np.add.at(grads, (pick[idx], term.rows[idx]), weight * g)
        return total, list(grads)

    def objective(self, weights: np.ndarray) -> tuple[float, np.ndarray]:
        """Nominal total plus the robust part, and the gradient with respect to the weights."""
        total, grad = self.base.objective(weights)
        w = weights.astype(np.float32, copy=False)
        raw = [s.matrix @ w for s in self.scenarios]
        scale, metric, metric_rows = (self.autoscale.factor(self.base.dose(weights)) if self.autoscale
                                      else (1.0, 1.0, None))
        doses = [scale * d.astype(np.float64) for d in raw]
        combine = self._composite if self.method is RobustMethod.COMPOSITE_WORST_CASE else self._voxelwise
        value, grad_doses = combine(doses)
        for s, g in zip(self.scenarios, grad_doses, strict=True):
            grad += s.transposed @ (scale * g).astype(np.float32)
        coupling = sum(float(g @ d) for g, d in zip(grad_doses, raw, strict=True))
        if metric_rows is not None and coupling:
            back = np.zeros(self.influence.matrix.shape[0], dtype=np.float32)
            back[metric_rows] = -scale * coupling / (metric * metric_rows.size)
            grad += self.influence.transposed @ back
        return total + value, grad
