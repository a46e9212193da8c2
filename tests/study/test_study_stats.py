"""The study statistics against SciPy and against hand-computed values."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from scipy.stats import wilcoxon

from planflow_qt.study.stats import MIN_PAIRS, compare
from planflow_qt.study.table import fmt, fmt_p, markdown


def test_matches_scipy_and_numpy_on_known_numbers():
    # lungs Dmean (cGy) of ten patients, automated vs manual
    a = [1002.0, 873.5, 1210.2, 640.9, 955.0, 1103.3, 780.1, 1320.6, 990.4, 845.2]
    b = [1108.0, 910.2, 1190.0, 700.3, 1012.8, 1150.1, 805.5, 1398.0, 1001.7, 880.9]
    row = compare("Lungs Dmean", a, b)
    assert row.n == 10
    assert row.p_value == pytest.approx(wilcoxon(a, b).pvalue, rel=1e-12)
    assert row.mean_a == pytest.approx(statistics.mean(a))
    assert row.sd_a == pytest.approx(statistics.stdev(a))
    assert row.sd_b == pytest.approx(statistics.stdev(b))
    assert row.difference == pytest.approx(statistics.mean(a) - statistics.mean(b))
    assert row.percent == pytest.approx(100 * (statistics.mean(a) - statistics.mean(b)) / statistics.mean(b))


def test_hand_computed_exact_p_values():
    base = np.arange(10.0, 16.0)
    # all six differences positive: W- = 0, exact two-sided p = 2 * 1/2**6
    assert compare("m", base + np.arange(1, 7), base).p_value == pytest.approx(0.03125)
    # differences 1, -2, 3, 4, 5, 6: W- = 2; rank sums <= 2 are {}, {1}, {2}: p = 2 * 3/64
    diffs = np.array([1.0, -2.0, 3.0, 4.0, 5.0, 6.0])
    assert compare("m", base + diffs, base).p_value == pytest.approx(0.09375)


def test_mean_sd_percent_by_hand():
    row = compare("m", [2.0, 4.0, 6.0, 8.0, 10.0, 12.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert (row.mean_a, row.mean_b) == (7.0, 3.5)
    assert row.sd_a == pytest.approx(math.sqrt(14.0))  # squares 25+9+1+1+9+25 = 70, / (6 - 1)
    assert row.percent == pytest.approx(100.0)


def test_no_p_value_for_identical_pairs_or_too_few_pairs():
    same = compare("PTV V6000cGy", [95.0] * 8, [95.0] * 8)
    assert same.p_value is None and "no differences" in same.note
    few = compare("m", [1.0] * (MIN_PAIRS - 1), [2.0] * (MIN_PAIRS - 1))
    assert few.p_value is None and f"need {MIN_PAIRS}" in fmt_p(few)


def test_pairs_with_a_missing_value_are_left_out():
    a = [1.0, 2.0, math.nan, 4.0, 5.0, 6.0, 7.0, 8.0]
    b = [0.5, 1.0, 3.0, math.nan, 4.0, 5.5, 6.0, 7.5]
    row = compare("m", a, b)
    kept_a, kept_b = [1.0, 2.0, 5.0, 6.0, 7.0, 8.0], [0.5, 1.0, 4.0, 5.5, 6.0, 7.5]
    assert row.n == 6
    assert row.p_value == pytest.approx(wilcoxon(kept_a, kept_b).pvalue)
    assert row.mean_b == pytest.approx(statistics.mean(kept_b))


def test_table_formatting():
    assert fmt(1002.4) == "1002" and fmt(18.345) == "18.34" and fmt(0.8741) == "0.874" and fmt(math.nan) == "-"
    row = compare("Lungs Dmean (cGy)", [1000.0, 990, 1010, 1005, 995, 1002], [1100.0, 1090, 1110, 1105, 1095, 1102])
    line = markdown([row], "auto", "manual").splitlines()[2]
    assert line.startswith("| Lungs Dmean (cGy) | 1000 ± 7 | 1100 ± 7 | -100 | -9.1 % | 0.031 | 6 |")
