"""Every function type: analytic gradient against finite differences, values and achieved levels."""

import numpy as np
import pytest

from planflow_qt.backends.simulated.objectives import Term, eud, fall_off_reference
from planflow_qt.model.planning import FunctionSpec, FunctionType

T = FunctionType
N = 60


def _dose(seed: int = 0, low: float = 4000.0, high: float = 7000.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, N)


def _term(spec: FunctionSpec, dose: np.ndarray) -> Term:
    reference = None
    if spec.type is T.DOSE_FALL_OFF:
        distance = np.linspace(0.0, 30.0, dose.size)
        reference = np.where(distance > 0, fall_off_reference(spec, distance), np.inf)
    return Term(spec=spec, rows=np.arange(dose.size), roi_volume_cc=dose.size * 0.125, reference=reference)


SPECS = [
    FunctionSpec(type=T.MIN_DOSE, roi="R", dose_cgy=6000),
    FunctionSpec(type=T.MAX_DOSE, roi="R", dose_cgy=5000),
    FunctionSpec(type=T.UNIFORM_DOSE, roi="R", dose_cgy=5500),
    FunctionSpec(type=T.MIN_DVH, roi="R", dose_cgy=6000, volume_percent=90),
    FunctionSpec(type=T.MAX_DVH, roi="R", dose_cgy=5000, volume_percent=20),
    FunctionSpec(type=T.MAX_DVH, roi="R", dose_cgy=5000, volume_cc=1.0),
    FunctionSpec(type=T.MIN_EUD, roi="R", dose_cgy=6000, eud_a=-150),
    FunctionSpec(type=T.MIN_EUD, roi="R", dose_cgy=6000, eud_a=-10),
    FunctionSpec(type=T.MAX_EUD, roi="R", dose_cgy=5000, eud_a=150),
    FunctionSpec(type=T.MAX_EUD, roi="R", dose_cgy=4000, eud_a=1),
    FunctionSpec(type=T.TARGET_EUD, roi="R", dose_cgy=5600, eud_a=8),
    FunctionSpec(type=T.DOSE_FALL_OFF, roi="R", high_dose_cgy=6000, low_dose_cgy=3000, low_dose_distance_cm=2),
    FunctionSpec(type=T.UNIFORMITY_CONSTRAINT, roi="R", std_dev_percent=3, constraint=True),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_gradient_matches_finite_differences(spec):
    dose = _dose()
    term = _term(spec, dose)
    value, grad = term.value_and_gradient(dose)
    assert value > 0, "the test dose must make every function active"
    step = 1e-3
    numeric = np.empty(N)
    for i in range(N):
        up, down = dose.copy(), dose.copy()
        up[i] += step
        down[i] -= step
        numeric[i] = (term.value_and_gradient(up)[0] - term.value_and_gradient(down)[0]) / (2 * step)
    assert grad == pytest.approx(numeric, rel=1e-4, abs=1e-9 * np.abs(numeric).max())


@pytest.mark.parametrize("spec", SPECS[:-1], ids=lambda s: s.describe())
def test_a_met_function_is_zero(spec):
    t = spec.type
    if t in (T.UNIFORM_DOSE, T.TARGET_EUD):
        dose = np.full(N, spec.dose_cgy)
    elif t.value.startswith("Min"):
        dose = np.full(N, spec.dose_cgy * 1.1)
    elif t is T.DOSE_FALL_OFF:
        dose = np.full(N, spec.low_dose_cgy * 0.9)
    else:
        dose = np.full(N, spec.dose_cgy * 0.9)
    value, grad = _term(spec, dose).value_and_gradient(dose)
    assert value == pytest.approx(0.0, abs=1e-20) and not grad.any()


def test_a_function_just_tightened_to_98_percent_reads_the_studys_threshold():
    dose = _dose(1, 1000.0, 3000.0)
    for spec in (FunctionSpec(type=T.MAX_EUD, roi="R", dose_cgy=1.0, eud_a=1),
                 FunctionSpec(type=T.MAX_EUD, roi="R", dose_cgy=1.0, eud_a=150)):
        achieved = _term(spec, dose).achieved(dose)
        tightened = spec.model_copy(update={"dose_cgy": 0.98 * achieved})
        assert _term(tightened, dose).value_and_gradient(dose)[0] == pytest.approx(4e-4)


def test_a_function_missed_by_far_adds_at_most_its_weight():
    dose = np.full(N, 3000.0)
    value, _ = _term(FunctionSpec(type=T.MAX_EUD, roi="R", dose_cgy=600, eud_a=150), dose).value_and_gradient(dose)
    assert value == pytest.approx(0.8**2)


def test_eud_limits_and_zero_dose():
    dose = np.array([0.0, 1000.0, 2000.0, 3000.0])
    assert eud(dose, 1.0, 1.0)[0] == pytest.approx(1500.0)
    assert eud(dose, 150.0, 1.0)[0] == pytest.approx(3000.0 * 0.25 ** (1 / 150), rel=1e-6)
    value, _, grad = eud(dose, -150.0, 6.0)  # the floor keeps a zero dose finite
    assert 5.9 < value < 6.1 and np.isfinite(grad).all()


def test_achieved_levels():
    dose = np.arange(1.0, 101.0)
    assert _term(FunctionSpec(type=T.MAX_DOSE, roi="R", dose_cgy=50), dose).achieved(dose) == 100.0
    assert _term(FunctionSpec(type=T.MIN_DOSE, roi="R", dose_cgy=50), dose).achieved(dose) == 1.0
    assert _term(FunctionSpec(type=T.MAX_DVH, roi="R", dose_cgy=50, volume_percent=20), dose).achieved(
        dose) == pytest.approx(81.0)
    assert _term(FunctionSpec(type=T.MAX_EUD, roi="R", dose_cgy=50, eud_a=1), dose).achieved(dose) == 50.5
    fall_off = FunctionSpec(type=T.DOSE_FALL_OFF, roi="R", high_dose_cgy=60, low_dose_cgy=30)
    assert _term(fall_off, dose).achieved(dose) == 60.0, "a dose above the high level everywhere: capped"
    uniformity = FunctionSpec(type=T.UNIFORMITY_CONSTRAINT, roi="R", constraint=True)
    assert _term(uniformity, dose).achieved(dose) is None


def test_fall_off_achieved_is_the_low_level_just_met():
    spec = FunctionSpec(type=T.DOSE_FALL_OFF, roi="R", high_dose_cgy=6000, low_dose_cgy=3000,
                        low_dose_distance_cm=2.0)
    distance = np.linspace(0.0, 30.0, N)
    exact_at_4000 = fall_off_reference(spec.model_copy(update={"low_dose_cgy": 4000}), distance)
    term = _term(spec, exact_at_4000)
    assert term.achieved(exact_at_4000) == pytest.approx(4000.0)
    assert term.achieved(exact_at_4000 * 0.9) < 4000.0 * 0.95, "a cooler dose meets a lower low level"


def test_fall_off_reference():
    spec = FunctionSpec(type=T.DOSE_FALL_OFF, roi="R", high_dose_cgy=6000, low_dose_cgy=4000,
                        low_dose_distance_cm=1.0)
    assert fall_off_reference(spec, np.array([0.0, 5.0, 10.0, 30.0])) == pytest.approx([6000, 5000, 4000, 4000])
