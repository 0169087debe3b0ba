"""Bias, ensembling, bagging and the ANOVA of RandomFeatureFlow: closed forms and ensembles."""

from __future__ import annotations

import numpy as np
import pytest

from rmtdyn.learning.random_features import RandomFeatureFlow
from rmtdyn.simulate.random_features import simulate_rf_ensemble


@pytest.mark.parametrize("alpha,nu", [(2.0, 0.5), (3.0, 0.4)])
def test_late_time_closed_forms(alpha, nu):
    # nu < 1 < alpha, no noise, ridgeless, t -> inf: bagging with shared features converges to
    # the projection on the N feature directions (error 1 - nu); bias -> (1 - nu)^2; and by the
    # N <-> P symmetry the ensemble over features of the swapped model equals it.
    bv = RandomFeatureFlow(alpha, nu).bias_variance(np.array([3e3]))
    assert abs(bv["ensemble_data"][0] - (1 - nu)) < 1e-5
    assert abs(bv["bias"][0] - (1 - nu) ** 2) < 1e-5
    swapped = RandomFeatureFlow(nu, alpha).bias_variance(np.array([3e3]))
    assert abs(swapped["ensemble_features"][0] - (1 - nu)) < 1e-5


def test_linear_regression_limit_has_no_feature_variance():
    # nu -> inf: F -> I, the features carry no randomness: V_A = V_AX = 0 and the ensemble over
    # features is the single learner; bias = R_MP(t)^2.
    t = np.array([0.3, 2.0, 20.0])
    bv = RandomFeatureFlow(1.5, 1e6, noise=0.4).bias_variance(t)
    assert np.all(np.abs(bv["var_features"]) < 1e-5)
    assert np.all(np.abs(bv["var_interaction"]) < 1e-5)
    np.testing.assert_allclose(bv["ensemble_features"], bv["test"], rtol=1e-5)
    from rmtdyn.spectra.marchenko_pastur import MarchenkoPastur

    np.testing.assert_allclose(bv["bias"], MarchenkoPastur(1 / 1.5).response(t) ** 2, rtol=2e-5)


def test_anova_pieces_are_non_negative_and_noise_variance_is_the_noise_term():
    t = np.geomspace(0.05, 200, 12)
    noisy = RandomFeatureFlow(1.3, 0.8, noise=0.6).bias_variance(t)
    clean = RandomFeatureFlow(1.3, 0.8).bias_variance(t)
    for key in ("bias", "var_features", "var_data", "var_interaction", "var_noise",
                "var_noise_data", "var_noise_interaction"):
        assert np.all(noisy[key] > -1e-8), key
    # label noise adds exactly var_noise to the test error; the noise-free parts do not move
    np.testing.assert_allclose(noisy["test"] - clean["test"], noisy["var_noise"], atol=1e-8)
    np.testing.assert_allclose(noisy["ensemble_data"], clean["ensemble_data"], atol=1e-8)


def test_ensemble_error_bad_input():
    model = RandomFeatureFlow(2.0, 0.5)
    with pytest.raises(ValueError, match="share"):
        model.ensemble_error([1.0], 4, share="labels")
    with pytest.raises(ValueError, match="members"):
        model.ensemble_error([1.0], 0)


def _check(theory, sim, key, rel):
    err = np.abs(theory - sim[key])
    tol = 4 * sim.error(key) + rel * np.abs(theory) + 2e-3
    assert np.all(err < tol), (key, theory, sim[key], sim.error(key))


@pytest.mark.parametrize("share", ["data", "features", "none"])
def test_ensembles_against_simulation_small(share):
    model = RandomFeatureFlow(2.0, 0.6, noise=0.3)
    t = np.array([0.5, 3.0, 30.0])
    bv = model.bias_variance(t)
    sim = simulate_rf_ensemble(model, t, members=8, share=share, d=150, groups=2, rng=7)
    inf_key = {"data": "ensemble_features", "features": "ensemble_data", "none": "bias"}[share]
    _check(bv["test"], sim, "single", 0.04)
    _check(bv[inf_key], sim, "infinite", 0.06)
    if share != "none":
        _check(model.ensemble_error(t, 8, share=share), sim, "ensemble", 0.05)


@pytest.mark.slow
@pytest.mark.parametrize("alpha,nu,noise", [(2.0, 0.5, 0.0), (1.5, 3.0, 0.5)])
@pytest.mark.parametrize("share", ["data", "features", "none"])
def test_ensembles_against_simulation_many_members(alpha, nu, noise, share):
    model = RandomFeatureFlow(alpha, nu, noise=noise)
    t = np.array([0.5, 3.0, 20.0, 200.0])
    bv = model.bias_variance(t)
    sim = simulate_rf_ensemble(model, t, members=24, share=share, d=250, groups=4, rng=2)
    inf_key = {"data": "ensemble_features", "features": "ensemble_data", "none": "bias"}[share]
    _check(bv[inf_key], sim, "infinite", 0.03)
    if share != "none":
        _check(model.ensemble_error(t, 24, share=share), sim, "ensemble", 0.03)


@pytest.mark.slow
def test_one_over_e_law_against_simulation():
    model = RandomFeatureFlow(2.0, 0.6)
    t = np.array([1.0, 10.0])
    for members in (2, 5, 20):
        sim = simulate_rf_ensemble(model, t, members=members, share="data", d=250, groups=4,
                                   rng=members)
        _check(model.ensemble_error(t, members, share="data"), sim, "ensemble", 0.03)
