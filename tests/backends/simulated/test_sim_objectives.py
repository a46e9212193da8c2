"""Every function type: value and analytic gradient against finite differences, the documented value scale
(docs/function_values.md), no saturation, and achieved levels."""

import numpy as np
import pytest

from nodes.objectives import AdjustParams, adjusted
from planflow_qt.backends.simulated.objectives import Term, eud, fall_off_reference, fall_off_term
from planflow_qt.model.planning import FunctionSpec, FunctionState, FunctionType

T = FunctionType
N = 60
DISTANCE = np.linspace(0.0, 30.0, N)
"""Distance (mm) of each test voxel from the target surface: the first is inside the target."""


def _dose(seed: int = 0, low: float = 4000.0, high: float = 7000.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, N)


def _term(spec: FunctionSpec, dose: np.ndarray, distance: np.ndarray = DISTANCE) -> Term:
    if spec.type is T.DOSE_FALL_OFF:
        return fall_off_term(spec, np.arange(dose.size), dose.size * 0.125, distance[:dose.size])
    return Term(spec=spec, rows=np.arange(dose.size), roi_volume_cc=dose.size * 0.125)


def _value(spec: FunctionSpec, dose: np.ndarray, distance: np.ndarray = DISTANCE) -> float:
    return _term(spec, dose, distance).value_and_gradient(dose)[0]


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
    FunctionSpec(type=T.MAX_DOSE, roi="R", dose_cgy=5000, constraint=True),
    FunctionSpec(type=T.MIN_DVH, roi="R", dose_cgy=6000, volume_percent=95, constraint=True),
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


@pytest.mark.parametrize("spec", SPECS[:-3], ids=lambda s: s.describe())
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


def test_worked_example_a_function_tightened_to_98_percent_of_its_achieved_dose():
    """docs/function_values.md: a miss of 2 % of the achieved dose reads (0.02 / 0.98)^2 = 4.16e-4 per unit
    weight, the study's threshold; the backend's feedback multiplies it by the weight."""
    per_weight = (0.02 / 0.98) ** 2
    assert per_weight == pytest.approx(4.165e-4, rel=1e-3)
    spread = _dose(1, 1000.0, 3000.0)
    uniform = np.full(N, 2500.0)
    for spec, dose, share in ((FunctionSpec(type=T.MAX_EUD, roi="R", dose_cgy=1.0, eud_a=1), spread, 1.0),
                              (FunctionSpec(type=T.MAX_EUD, roi="R", dose_cgy=1.0, eud_a=150), spread, 1.0),
                              (FunctionSpec(type=T.MAX_DOSE, roi="R", dose_cgy=1.0), uniform, 1.0),
                              (FunctionSpec(type=T.UNIFORM_DOSE, roi="R", dose_cgy=1.0), uniform, 1.0),
                              # only the 70 % beyond the allowed 30 % are penalized
                              (FunctionSpec(type=T.MAX_DVH, roi="R", dose_cgy=1.0, volume_percent=30), uniform, 0.7)):
        achieved = _term(spec, dose).achieved(dose)
        tightened = spec.model_copy(update={"dose_cgy": 0.98 * achieved})
        assert _value(tightened, dose) == pytest.approx(share * per_weight), spec.type
    # A MaxDose whose hottest voxel alone exceeds the tightened level reads that voxel's share only.
    dose = np.full(N, 2000.0)
    dose[0] = 2500.0
    assert _value(FunctionSpec(type=T.MAX_DOSE, roi="R", dose_cgy=0.98 * 2500.0), dose) == pytest.approx(
        per_weight / N)


def test_fall_off_worked_example_is_averaged_over_its_region():
    """A fall-off 6000 -> 4000 cGy in 1 cm whose dose is 80 cGy (2 % of its low level) above its reference
    everywhere reads 0.02^2 = 4e-4 however large the ROI is beyond the fall-off region."""
    spec = FunctionSpec(type=T.DOSE_FALL_OFF, roi="R", high_dose_cgy=6000, low_dose_cgy=4000,
                        low_dose_distance_cm=1.0)
    near = np.linspace(0.0, 10.0, 21)
    dose = np.where(near > 0, fall_off_reference(spec, near) + 80.0, 6000.0)
    assert _value(spec, dose, near) == pytest.approx(4e-4)
    # The same voxels plus 10,000 cold body voxels far away: the value is the same.
    far = np.concatenate([near, np.full(10_000, 80.0)])
    body = np.concatenate([dose, np.full(10_000, 100.0)])
    assert _value(spec, body, far) == pytest.approx(4e-4)


def test_fall_off_region_is_never_empty_on_a_coarse_grid():
    spec = FunctionSpec(type=T.DOSE_FALL_OFF, roi="R", high_dose_cgy=6000, low_dose_cgy=5700,
                        low_dose_distance_cm=0.5)
    distance = np.array([0.0, 5.25, 5.25, 12.75, 20.0])  # 7.5 mm voxels: the nearest lie beyond 5 mm
    term = _term(spec, np.zeros(distance.size), distance)
    assert term.count == 2


@pytest.mark.parametrize("spec", [s for s in SPECS if s.type is not T.UNIFORMITY_CONSTRAINT],
                         ids=lambda s: s.describe())
def test_values_grow_with_the_miss_up_to_ten_times_the_level(spec):
    """No saturation: the value keeps growing, quadratically, as the dose misses the level by more."""
    level = spec.high_dose_cgy if spec.type is T.DOSE_FALL_OFF else spec.dose_cgy
    minimum = spec.type.value.startswith("Min")
    factors = np.linspace(1.05, 10.0, 60)
    doses = [np.full(N, level / k if minimum else level * k) for k in factors]
    values = np.array([_value(spec, d) for d in doses])
    assert (np.diff(values) > 0).all()
    if spec.type in (T.MAX_DOSE, T.MAX_EUD, T.UNIFORM_DOSE, T.TARGET_EUD):
        assert values[-1] == pytest.approx(81.0), "ten times the level reads (10 - 1)^2"


def test_uniformity_value_grows_with_the_spread():
    spec = FunctionSpec(type=T.UNIFORMITY_CONSTRAINT, roi="R", std_dev_percent=3, constraint=True)
    base = np.random.default_rng(2).standard_normal(N)
    base = (base - base.mean()) / base.std()
    values = [_value(spec, 6000.0 * (1 + s * base)) for s in np.linspace(0.04, 0.3, 30)]
    assert (np.diff(values) > 0).all()
    assert values[-1] == pytest.approx((0.3 / 0.03 - 1) ** 2)


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
    assert _term(FunctionSpec(type=T.UNIFORM_DOSE, roi="R", dose_cgy=50), dose).achieved(dose) == 50.5
    assert _term(FunctionSpec(type=T.MAX_DVH, roi="R", dose_cgy=50, volume_percent=20), dose).achieved(
        dose) == pytest.approx(81.0)
    assert _term(FunctionSpec(type=T.MIN_DVH, roi="R", dose_cgy=50, volume_percent=90), dose).achieved(
        dose) == pytest.approx(11.0)
    assert _term(FunctionSpec(type=T.MAX_EUD, roi="R", dose_cgy=50, eud_a=1), dose).achieved(dose) == 50.5
    assert _term(FunctionSpec(type=T.MIN_EUD, roi="R", dose_cgy=50, eud_a=-150), dose).achieved(
        dose) == pytest.approx(1.0, rel=0.05)
    uniformity = FunctionSpec(type=T.UNIFORMITY_CONSTRAINT, roi="R", constraint=True)
    assert _term(uniformity, dose).achieved(dose) is None


FALL_OFF = FunctionSpec(type=T.DOSE_FALL_OFF, roi="R", high_dose_cgy=6000, low_dose_cgy=3000,
                        low_dose_distance_cm=2.0)


def test_fall_off_achieved_is_the_lowest_low_level_met():
    exact_at_4000 = fall_off_reference(FALL_OFF.model_copy(update={"low_dose_cgy": 4000}), DISTANCE)
    exact_at_4000[0] = 6100.0  # inside the target: ignored
    term = _term(FALL_OFF, exact_at_4000)
    assert term.achieved(exact_at_4000) == pytest.approx(4000.0)
    assert term.achieved(exact_at_4000 * 0.9) < 4000.0 * 0.95, "a cooler dose meets a lower low level"


def test_fall_off_achieved_is_not_clipped_to_the_high_dose_by_a_hot_voxel():
    dose = fall_off_reference(FALL_OFF.model_copy(update={"low_dose_cgy": 3800}), DISTANCE)
    dose[0] = 6000.0
    dose[2] = 6010.0  # one voxel just outside the target above the high level: missed by any low level
    assert _term(FALL_OFF, dose).achieved(dose) == pytest.approx(3800.0)


def test_tightening_a_fall_off_never_raises_its_low_level():
    params = AdjustParams(field="dose", mode="achieved_factor", amount=0.98)
    dose = fall_off_reference(FALL_OFF.model_copy(update={"low_dose_cgy": 3800}), DISTANCE)
    dose[0] = 6000.0
    achieved = _term(FALL_OFF, dose).achieved(dose)
    missed = adjusted(FunctionState(spec=FALL_OFF, value=1e-4, achieved=achieved), params)
    assert missed.low_dose_cgy == pytest.approx(3000.0 * 0.98), "achieved 3800 is above the low level: from 3000"
    met = FALL_OFF.model_copy(update={"low_dose_cgy": 4000})
    assert adjusted(FunctionState(spec=met, value=0.0, achieved=achieved), params).low_dose_cgy == pytest.approx(
        3800 * 0.98)


def test_fall_off_reference():
    spec = FunctionSpec(type=T.DOSE_FALL_OFF, roi="R", high_dose_cgy=6000, low_dose_cgy=4000,
                        low_dose_distance_cm=1.0)
    assert fall_off_reference(spec, np.array([0.0, 5.0, 10.0, 30.0])) == pytest.approx([np.inf, 5000, 4000, 4000])
