"""Lateral beam profiles: erf left out where float32 rounds it to +-1 gives the same numbers as computing it."""

from __future__ import annotations

import numpy as np
from scipy import special

from planflow_qt.backends.simulated import dose_engine


def test_float32_erf_is_exactly_one_beyond_the_cut():
    z = np.arange(float(dose_engine.ERF_SATURATED), 40.0, 1e-3, dtype=np.float32)
    assert (special.erf(z) == 1.0).all() and (special.erf(-z) == -1.0).all()


def test_profiles_equal_the_erf_of_every_voxel_and_edge(monkeypatch):
    monkeypatch.setattr(dose_engine, "PROFILE_BLOCK", 1000)  # several blocks, the last one short
    rng = np.random.default_rng(4)
    x = rng.uniform(-120.0, 120.0, 4321).astype(np.float32)
    edges = (np.arange(-12, 13) * 5.0).astype(np.float32)
    s = rng.uniform(2.0, 15.0, (x.size, 1)).astype(np.float32)
    e = special.erf((x[:, None] - edges) / s)
    expected = (e[:, :-1] - e[:, 1:]) * np.float32(0.5)
    profile = dose_engine._profile(x, edges, s)
    assert profile.dtype == np.float32 and np.array_equal(profile, expected)
    assert 0.3 < (np.abs((x[:, None] - edges) / s) >= dose_engine.ERF_SATURATED).mean() < 0.9  # both paths used


def test_float64_profiles_compute_every_erf():
    x = np.array([0.0, 4.5], dtype=np.float64)  # arguments of 4.5 and 5, where the float64 erf is below 1
    edges = np.array([-5.0, 0.0, 5.0])
    s = np.ones((2, 1))
    e = special.erf((x[:, None] - edges) / s)
    assert np.array_equal(dose_engine._profile(x, edges, s), (e[:, :-1] - e[:, 1:]) * 0.5)
