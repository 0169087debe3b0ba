"""The deep-linear simulation: progress bar, recorded spike vectors, spike norms."""

import numpy as np
import pytest

from rmtdyn.simulate.deep_linear import simulate_deep_linear


def test_progress_bar_does_not_change_results(capsys):
    args = (2, 2.0, 1.0, 1.0)
    kw = {"D": 20, "t": np.array([0.0, 0.5]), "seeds": 2, "rng": 4}
    quiet = simulate_deep_linear(*args, **kw)
    assert capsys.readouterr().err == ""
    loud = simulate_deep_linear(*args, **kw, progress=True)
    assert "deep linear" in capsys.readouterr().err
    assert np.array_equal(quiet.curves["test"], loud.curves["test"])
    with pytest.raises(TypeError, match="progress"):
        simulate_deep_linear(*args, **kw, progress="yes")
    with pytest.raises(TypeError, match="record_vectors"):
        simulate_deep_linear(*args, **kw, record_vectors=1)


def test_recorded_vectors_integrate_to_the_spike():
    """Ŵ_ℓ(t) - Ŵ_ℓ(0) = (γ0²/N)∫ b_1 Gᵀ (ℓ = 0), (γ0²/(√ν N))∫ b_{ℓ+1} e_ℓᵀ (ℓ ≥ 1):
    Simpson's rule on the recorded vectors gives the simulated ‖Δ‖_F² (to O(h⁴))."""
    g0, nu, D = 1.5, 1.5, 20
    ts = np.linspace(0.0, 1.0, 41)
    sim = simulate_deep_linear(3, 2.0, nu, g0, D=D, t=np.array([1.0]), seeds=2, rng=8,
                               spectrum_times=ts, record_vectors=True)
    N = sim.params["N"]
    w = np.full(ts.size, 2.0)
    w[1::2] = 4.0
    w[[0, -1]] = 1.0
    w *= (ts[1] - ts[0]) / 3  # Simpson weights
    for layer in range(3):
        vec = sim.vectors[layer]
        assert vec["W0"].shape == (2, N, D if layer == 0 else N)
        pref = g0**2 / N if layer == 0 else g0**2 / (np.sqrt(nu) * N)
        spike = pref * np.einsum("j,jsa,jsb->sab", w, vec["b"], vec["x"])
        np.testing.assert_allclose(np.sum(spike**2, axis=(1, 2)),
                                   sim.spike_frobenius[layer][-1], rtol=1e-4)
        top = np.linalg.svd(spike, compute_uv=False)[:, 0]
        np.testing.assert_allclose(top, sim.spike_singular_values[layer][-1, :, 0], rtol=1e-4)
        assert np.all(sim.spike_frobenius[layer][-1] > 1e-3)
