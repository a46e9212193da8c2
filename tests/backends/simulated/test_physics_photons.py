"""6 MV photon physics of the simulated engine against published reference data (water tank, SSD 100 cm).

References (also in `benchmarks/bench_physics.py`):
- BJR Supplement 25 (1996), 6 MV central-axis depth dose, SSD 100 cm: 10 x 10 cm PDD 66-67 % at 10 cm,
  38-39 % at 20 cm, about 30 % at 25 cm; 61-62 % (4 x 4 cm) to 69-70 % (20 x 20 cm) at 10 cm.
- Typical measured 6 MV profiles (linac vendors' representative beam data): 80-20 % penumbra of a
  10 x 10 cm field 3-4 mm at d_max, 5.5-7 mm at 20 cm; dose outside the field at 10 cm depth 5-8 % at
  1 cm, 3-4 % at 2 cm, 2-3 % at 3 cm, 1.5-2 % at 5 cm from the edge (out-of-field dose reviewed in
  AAPM TG-158, Kry et al., Med Phys 2017).
"""

import numpy as np
import pytest

from planflow_qt.backends.simulated import dosimetry

SMALL_TANK_MM = (240.0, 300.0, 240.0)
"""Enough for penumbrae and narrow fields; depth doses and the tail need the full tank's scatter."""


@pytest.fixture(scope="module")
def water():
    return dosimetry.tank()


@pytest.fixture(scope="module")
def small_water():
    return dosimetry.tank(size_mm=SMALL_TANK_MM)


@pytest.fixture(scope="module")
def lung():
    return dosimetry.tank(slab_mm=(50.0, 150.0), size_mm=SMALL_TANK_MM)


def test_depth_dose_of_a_10x10_field_matches_bjr_25(water):
    pdd10, pdd20, pdd25 = dosimetry.pdd(water, 100.0, np.array([100.0, 200.0, 250.0]))
    assert 63.0 <= pdd10 <= 67.0
    assert 37.0 <= pdd20 <= 40.5  # BJR 25: 38-39 %
    assert 28.5 <= pdd25 <= 31.5  # BJR 25: about 30 %


def test_depth_dose_rises_with_field_size(water):
    small, large = (dosimetry.pdd(water, field, np.array([100.0]))[0] for field in (40.0, 200.0))
    assert large - small >= 3.0  # BJR 25: about 8 points from 4 x 4 to 20 x 20 cm
    assert 59.0 <= small <= 63.5 and 67.5 <= large <= 71.5


def test_penumbra_widens_with_depth(small_water):
    (x0, d0), (x20, d20) = dosimetry.profiles(small_water, 100.0, [15.0, 200.0])
    at_dmax, at_20 = dosimetry.penumbra_80_20(x0, d0), dosimetry.penumbra_80_20(x20, d20)
    assert 3.0 <= at_dmax <= 4.5
    assert 5.5 <= at_20 <= 7.5
    assert at_20 - at_dmax >= 1.5


def test_penumbra_is_wider_in_lung_and_wider_still_in_the_collapsed_cone_dose(small_water, lung):
    water_pen = dosimetry.penumbra_80_20(*dosimetry.profile(small_water, 100.0, 100.0))
    # Lung penumbrae are wide: a 2 mm sampling resolves them.
    pencil = dosimetry.penumbra_80_20(*dosimetry.profile(lung, 100.0, 100.0, step_mm=2.0))
    collapsed = dosimetry.penumbra_80_20(*dosimetry.profile(lung, 100.0, 100.0, step_mm=2.0, density_scaled=True))
    assert pencil > water_pen + 2.0
    assert collapsed > pencil


def test_out_of_field_tail(water):
    one, two, three, five = dosimetry.out_of_field(water, 100.0, 100.0, np.array([10.0, 20.0, 30.0, 50.0]))
    # Reference bands 5-8, 3-4, 2-3, 1.5-2 %, within half a percentage point.
    assert 4.5 <= one <= 8.5
    assert 2.5 <= two <= 4.5
    assert 1.5 <= three <= 3.5
    assert 1.0 <= five <= 2.5
    assert one > two > three > five


def test_narrow_field_builds_down_in_a_lung_slab_and_builds_up_again_after_it(small_water, lung):
    depth, ratio = dosimetry.radiological_correction(lung, small_water, 20.0, density_scaled=True)
    before, inside, after = (float(np.interp(d, depth, ratio)) for d in (42.5, 100.0, 162.5))
    assert before == pytest.approx(1.0, abs=0.01)
    assert inside < 0.92  # lateral electron disequilibrium inside the lung
    assert after > inside + 0.07 and after == pytest.approx(1.0, abs=0.03)  # re-build-up in tissue
    # The pencil beam (optimization dose) shows less of it than the collapsed cone.
    _, pencil = dosimetry.radiological_correction(lung, small_water, 20.0)
    assert float(np.interp(100.0, depth, pencil)) > inside
