"""Fluence optimization: L-BFGS-B on non-negative beamlet weights with analytic gradients.

The dose of the rows is `bath(D @ w)`; the gradient is `D.T @ bath(grad_dose)` (the bath is symmetric),
with `D.T` kept as its own CSR matrix. Functions restricted to some beams see the dose of those beams only.
Like RayStation's default AutoScaleToPrescription, the dose can be scaled during the optimization so the
prescription holds: the objective then judges the shape of the dose, not its level.
BLAS and OpenMP threads are pinned to one: with two cores, competing threads made rounds 3-4x slower. The
mat-vecs run by row blocks on the engine's own threads (`parallel`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize as sciopt
from scipy import sparse
from threadpoolctl import threadpool_limits

from planflow_qt.backends.simulated.dose_engine import Influence, ScatterBath
from planflow_qt.backends.simulated.objectives import Term
from planflow_qt.backends.simulated.parallel import matvec

log = logging.getLogger(__name__)

CONSTRAINT_WEIGHT = 1e4
"""Weight of a constraint's penalty: stiff enough that a violation costs more than any objective."""


@dataclass
class _Group:
    """The beamlets a set of terms sees: all of them (`columns` None) or those of some arcs."""

    matrix: sparse.csr_matrix
    transposed: sparse.csr_matrix
    columns: np.ndarray | None
    terms: list[tuple[Term, float]] = field(default_factory=list)

    def by_roi(self) -> list[tuple[np.ndarray, list[tuple[Term, float]]]]:
        """Terms grouped by their rows, so each ROI's dose is gathered once per evaluation."""
        groups: dict[int, tuple[np.ndarray, list[tuple[Term, float]]]] = {}
        for term, weight in self.terms:
            groups.setdefault(id(term.rows), (term.rows, []))[1].append((term, weight))
        return list(groups.values())


@dataclass(frozen=True)
class AutoScale:
    """Scale the dose so the prescription holds during the optimization (RayStation's default).

    `fraction` is the prescribed volume (D at that volume of `rows` equals `dose_cgy`); None means the
    average dose of `rows` equals `dose_cgy`. The dose at the volume is averaged over the voxels within
    `window` (fraction) of that volume, which keeps the objective smooth enough for L-BFGS-B.
    """

    rows: np.ndarray
    dose_cgy: float
    fraction: float | None
    window: float = 0.02

    def factor(self, dose: np.ndarray) -> tuple[float, float, np.ndarray]:
        """Scale factor, prescription metric, and the rows whose mean the metric is."""
        roi = dose[self.rows]
        n = roi.size
        if self.fraction is None:
            metric, rows = float(roi.mean()), self.rows
        else:
            k = min(n - 1, max(0, round(self.fraction * n) - 1))
            m = max(1, round(self.window * n))
            lo, hi = max(0, k - m), min(n - 1, k + m)
            order = np.argpartition(-roi, [lo, hi])[lo:hi + 1]
            metric, rows = float(roi[order].mean()), self.rows[order]
        metric = max(metric, 1e-9)
        return self.dose_cgy / metric, metric, rows


@dataclass
class Result:
    """What an optimization run did."""

    weights: np.ndarray
    objective: float
    iterations: int
    evaluations: int
    seconds: float
    message: str


class Problem:
    """The objective of a plan: weighted terms on the dose of an influence matrix, optionally auto-scaled."""

    def __init__(self, influence: Influence, terms: list[Term], bath: ScatterBath | None,
                 autoscale: AutoScale | None = None):
        self.influence, self.bath, self.autoscale = influence, bath, autoscale
        self.full = _Group(influence.matrix, influence.transposed, None)
        self.restricted: dict[tuple[str, ...], _Group] = {}
        for term in terms:
            key = tuple(sorted(term.spec.beams))
            if key and key not in self.restricted:
                cols = influence.arc_columns(key)
                self.restricted[key] = _Group(influence.matrix[:, cols].tocsr(), influence.transposed[cols], cols)
            weight = CONSTRAINT_WEIGHT if term.spec.constraint else term.spec.weight
            (self.restricted[key] if key else self.full).terms.append((term, weight))

    @property
    def groups(self) -> list[_Group]:
        return [*self.restricted.values(), self.full]

    def _dose(self, group: _Group, weights: np.ndarray) -> np.ndarray:
        w = weights if group.columns is None else weights[group.columns]
        dose = matvec(group.matrix, w.astype(np.float32, copy=False))
        return self.bath(dose) if self.bath is not None else dose

    def _back(self, group: _Group, grad_dose: np.ndarray) -> np.ndarray:
        grad_dose = grad_dose.astype(np.float32)
        if self.bath is not None:
            grad_dose = self.bath(grad_dose)
        return matvec(group.transposed, grad_dose)

    def dose(self, weights: np.ndarray) -> np.ndarray:
        """Dose of the rows (cGy) from all beamlets, not auto-scaled."""
        return self._dose(self.full, weights)

    def scale(self, weights: np.ndarray) -> float:
        """The auto-scale factor of these weights (1 without auto-scaling)."""
        return self.autoscale.factor(self.dose(weights))[0] if self.autoscale is not None else 1.0

    def objective(self, weights: np.ndarray) -> tuple[float, np.ndarray]:
        """Total weighted penalty and its gradient with respect to the weights."""
        full_dose = self.dose(weights)
        scale, metric, metric_rows = self.autoscale.factor(full_dose) if self.autoscale else (1.0, 1.0, None)
        total, coupling, grad = 0.0, 0.0, np.zeros(weights.size)
        for group in self.groups:
            dose = full_dose if group.columns is None else self._dose(group, weights)
            grad_dose = np.zeros(dose.size)
            scaled = scale * dose.astype(np.float64)
            for rows, terms in group.by_roi():
                whole = rows.size == dose.size  # an ROI covering every row (the body): no gather
                roi_dose = scaled if whole else scaled[rows]
                roi_grad = grad_dose if whole else np.zeros(rows.size)
                for term, weight in terms:
                    value, idx, g = term.penalty(roi_dose)
                    total += weight * value
                    roi_grad[idx] += weight * g
                if not whole:
                    grad_dose[rows] += roi_grad
            coupling += float(grad_dose @ scaled) / scale
            grad_dose *= scale
            if group.columns is not None:
                grad[group.columns] += self._back(group, grad_dose)
                continue
            if metric_rows is not None:
                # d(scale)/d(dose) = -scale / metric x d(metric)/d(dose)
                grad_dose[metric_rows] -= scale * coupling / (metric * metric_rows.size)
            grad += self._back(group, grad_dose)
        return total, grad

    def term_doses(self, weights: np.ndarray) -> list[tuple[Term, np.ndarray]]:
        """Each term with the dose of its rows (cGy)."""
        out = []
        for group in self.groups:
            dose = self._dose(group, weights)
            out.extend((term, dose[term.rows].astype(np.float64)) for term, _ in group.terms)
        return out


def optimize(problem: Problem, start: np.ndarray, iterations: int, tolerance: float) -> Result:
    """Minimize the problem from `start` weights with at most `iterations` L-BFGS-B iterations.

    `tolerance` (RayStation's optimality tolerance) stops the run when an iteration improves the objective
    by less than tolerance / 1000 relative, so rounds usually run their iterations as RayStation's do.
    With auto-scaling, the returned weights are scaled so the prescription holds.
    """
    t0 = time.perf_counter()
    scale = float(start.mean()) or 1.0
    evaluations = 0

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal evaluations
        evaluations += 1
        value, grad = problem.objective(x * scale)
        return value, grad * scale

    with threadpool_limits(limits=1):
        res = sciopt.minimize(fun, start / scale, jac=True, method="L-BFGS-B",
                              bounds=sciopt.Bounds(0.0, np.inf),
                              options={"maxiter": iterations, "maxfun": 3 * iterations + 10,
                                       "ftol": tolerance * 1e-3, "gtol": 1e-12})
        weights = res.x * scale
        weights *= problem.scale(weights)
    seconds = time.perf_counter() - t0
    log.info("optimization: %d iterations, %d evaluations, objective %.4g, %.2f s (%s)",
             res.nit, evaluations, res.fun, seconds, res.message)
    return Result(weights=weights, objective=float(res.fun), iterations=int(res.nit),
                  evaluations=evaluations, seconds=seconds, message=str(res.message))
