r"""Finite-N Wishart LTI system with its data-side variables (for the two-site DMFT).

One replica draws ``X`` (``P x N``, iid N(0, 1), ``P = round(N / ratio)``), forms
``A = scale * X^T X / P + shift``, diagonalises it once and evolves
``d theta/dt = -A theta + xi`` (white noise ``E xi xi = 2 D delta``) by exact Gaussian
transitions mode by mode (as ``rmtdyn.simulate.lti``). It returns the parameter
coordinates ``theta_i(t_k)`` and the residual-type data variables
``Delta_mu(t_k) = x_mu . theta(t_k) / sqrt(P)`` of the same replica, whose single-coordinate
statistics the two single-site processes of ``rmtdyn.dmft.single_site_wishart`` describe.
"""

from __future__ import annotations

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.simulate.lti import _check_grid, _modes


def wishart_lti_paths(system, t, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """``(theta, delta)`` of one replica: shapes (n, n_t) and (P, n_t).

    ``system`` is an ``LTISystem`` whose spectrum is ``a * MarchenkoPastur(ratio, variance)
    + z`` (``a > 0``) with no noise or white noise; ``t`` sorted times >= 0.
    """
    from rmtdyn.dmft.single_site_wishart import wishart_parameters

    ratio, scale, shift = wishart_parameters(system.spectrum)
    if system.kernel is not None:
        raise NotImplementedError("wishart_lti_paths supports no noise or white noise only")
    t = _check_grid(t)
    n = check.positive_int("n", n, minimum=2)
    gen = check.rng(rng)
    p = max(1, round(n / ratio))
    x = gen.standard_normal((p, n))
    lam, vecs = np.linalg.eigh(scale * (x.T @ x) / p + shift * np.eye(n))
    theta = vecs @ _modes(system, t, lam, gen, fine_steps=0).T
    return theta, x @ theta / np.sqrt(p)
