"""DVH queries with RayStation's semantics on hand-computed dose arrays."""

import numpy as np
import pytest

from planflow_qt.backends.simulated import dvh
from planflow_qt.backends.simulated.dvh import Dvh

DOSE = np.array([40.0, 10.0, 30.0, 20.0])  # four voxels of equal volume


@pytest.mark.parametrize(("fraction", "expected"), [(0.25, 40.0), (0.5, 30.0), (0.75, 20.0), (1.0, 10.0),
                                                    (0.01, 40.0), (0.625, 25.0)])
def test_dose_at_volume(fraction, expected):
    assert dvh.dose_at_volume(DOSE, fraction) == pytest.approx(expected)


@pytest.mark.parametrize(("level", "expected"), [(30.0, 0.5), (10.0, 1.0), (5.0, 1.0), (40.0, 0.25),
                                                 (40.5, 0.0), (25.0, 0.625)])
def test_volume_at_dose(level, expected):
    assert Dvh(DOSE).volume_at_dose(level) == pytest.approx(expected)


def test_ties_count_every_voxel_at_the_level():
    dose = np.array([10.0, 20.0, 20.0, 20.0])
    assert Dvh(dose).volume_at_dose(20.0) == pytest.approx(0.75)
    assert dvh.dose_at_volume(dose, 0.75) == pytest.approx(20.0)


def test_dose_and_volume_are_inverse_so_a_normalized_plan_reads_exactly():
    rng = np.random.default_rng(3)
    dose = rng.normal(6000.0, 150.0, size=997)
    d95 = dvh.dose_at_volume(dose, 0.95)
    scaled = dose * (6000.0 / d95)
    assert dvh.dose_at_volume(scaled, 0.95) == pytest.approx(6000.0, abs=1e-6)
    assert 100.0 * Dvh(scaled).volume_at_dose(6000.0) >= 95.0


def test_statistics():
    curve = Dvh(DOSE)
    assert (curve.mean, curve.min, curve.max) == (25.0, 10.0, 40.0)


def test_cumulative_dvh():
    curve = Dvh(DOSE).cumulative(10.0)
    assert curve[0] == (0.0, 100.0)
    assert dict(curve)[30.0] == pytest.approx(50.0)
    assert curve[-1][1] == 0.0 and curve[-1][0] > DOSE.max()
    volumes = [v for _, v in curve]
    assert volumes == sorted(volumes, reverse=True)
