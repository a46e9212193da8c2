"""Paired comparison of two flows over a cohort: mean ± SD, difference, percent difference, Wilcoxon p."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_PAIRS = 6
"""Fewer pairs than this give no p-value: with five or fewer the two-sided exact p can never fall below 0.05."""


@dataclass(frozen=True)
class Comparison:
    """One metric of flow A against flow B on the patients where both have a value."""

    metric: str
    n: int
    mean_a: float
    sd_a: float
    mean_b: float
    sd_b: float
    p_value: float | None
    note: str = ""

    @property
    def difference(self) -> float:
        """Mean of A minus mean of B."""
        return self.mean_a - self.mean_b

    @property
    def percent(self) -> float:
        """The difference as a percentage of B's mean (NaN when B's mean is zero)."""
        return 100.0 * self.difference / abs(self.mean_b) if self.mean_b else math.nan


def _mean_sd(values: np.ndarray) -> tuple[float, float]:
    if values.size == 0:
        return math.nan, math.nan
    sd = float(np.std(values, ddof=1)) if values.size > 1 else math.nan
    return float(np.mean(values)), sd


def compare(metric: str, a: Sequence[float], b: Sequence[float]) -> Comparison:
    """Compare paired values (patient i of `a` with patient i of `b`); pairs with a missing value are left out.

    The p-value is SciPy's two-sided Wilcoxon signed-rank test (zero differences dropped, exact for small
    samples); it is None, with a note, when there are too few pairs or every difference is zero.
    """
    from scipy.stats import wilcoxon

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    mean_a, sd_a = _mean_sd(x)
    mean_b, sd_b = _mean_sd(y)
    n = int(x.size)
    if n < MIN_PAIRS:
        return Comparison(metric, n, mean_a, sd_a, mean_b, sd_b, None, f"n/a: {n} pair(s), need {MIN_PAIRS}")
    if np.all(x == y):
        return Comparison(metric, n, mean_a, sd_a, mean_b, sd_b, None, "n/a: no differences")
    return Comparison(metric, n, mean_a, sd_a, mean_b, sd_b, float(wilcoxon(x, y).pvalue))
