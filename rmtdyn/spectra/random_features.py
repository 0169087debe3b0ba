r"""Random-feature Gram matrices: linear (a free product) and nonlinear (Gaussian equivalence).

Model (conventions.md): ``X`` is ``P x D`` and ``W`` is ``D x N``, both iid N(0, 1),
``Phi = f(X W / sqrt(D))`` (``P x N``), ``A = Phi^T Phi / P`` (``N x N``).
``ratio = gamma = N/P`` and ``data_ratio = phi = D/P``; we also write ``psi = D/N = phi/gamma``.

**Linear features** (``f(x) = x``). ``A = W^T S W / D`` with ``S = X^T X / P`` (``D x D``,
``MP(phi)``). Its non-zero eigenvalues are those of the ``D x D`` matrix
``K = S^{1/2} (W W^T / D) S^{1/2}``, and ``W W^T / D = (1/psi) W W^T / N`` is
``MP(ratio=psi, variance=1/psi)``. So ``K = MP(phi) ⊠ MP(psi, 1/psi)`` (a ``FreeProduct``), and

    g_A(z) = psi g_K(z) + (1 - psi)/z.

**Nonlinear features** (Pennington & Worah 2017, mapped as ``n0 = D, n1 = N, m = P``):
with the centred activation's ``eta = Var f(z)`` and ``zeta = (E f'(z))^2``
(``z ~ N(0, 1)``, ``rmtdyn.spectra.activations``),

    g(z) = (psi/z) p + (1 - psi)/z,     t = 1/(z psi),
    p = 1 + (eta - zeta) t p_phi p_psi + zeta t p_phi p_psi / (1 - zeta t p_phi p_psi),
    p_phi = 1 + (p - 1) phi,  p_psi = 1 + (p - 1) psi,

in rmtdyn's sign convention ``g = int rho/(z - l)`` (checked against samples in the tests).
Clearing the denominator gives a quartic in ``p``; it is solved by the fixed-point form above
far from the axis (``p -> 1`` as ``z -> inf``, which is the physical branch), Newton, and
continuation in ``Im z`` to the real axis (``rmtdyn.solvers.continuation``). For ``f(x) = x``
(``eta = zeta = 1``) it reduces to the free product above, which the tests verify.

**Outlier.** A non-zero mean ``mu0 = E f(z)`` adds ``mu0 1_P 1_N^T`` to ``Phi``: a rank-one
spike whose eigenvalue grows like ``N mu0^2`` and whose weight ``1/N`` vanishes in the limit.
``stieltjes``/``density``/``support``/``atoms``/``moment`` describe the bulk only (the law of
the centred activation); ``sample`` uses the raw activation, so a sample has this extra
eigenvalue on top. ``outlier(n)`` estimates its location for ``N = n`` (see there).

Near 0 (nonlinear case): for ``gamma >= 1`` points with ``|z| < 1e-10 * bound`` (``bound``
= an upper bound of the bulk) are evaluated at ``|z| = 1e-10 * bound`` in the same
direction; for ``gamma < 1`` (bulk away from 0) ``|z| < 1e-6 * bound`` use a first-order
Taylor expansion from there.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.errors import ConvergenceError
from rmtdyn.solvers.continuation import solve_by_continuation
from rmtdyn.spectra.activations import (
    ActivationCoefficients,
    activation_function,
    gaussian_coefficients,
    high_precision_coefficients,
)
from rmtdyn.spectra.base import Spectrum
from rmtdyn.spectra.free import (
    FreeProduct,
    algebraic_support,
    scan_support,
    stieltjes_and_derivative,
)
from rmtdyn.spectra.marchenko_pastur import MarchenkoPastur

__all__ = ["RandomFeatures"]


class RandomFeatures(Spectrum):
    r"""Bulk spectrum of ``A = Phi^T Phi / P``, ``Phi = f(X W / sqrt(D))`` (see module docstring).

    Parameters
    ----------
    ratio : float
        ``gamma = N/P > 0`` (features over samples).
    data_ratio : float
        ``phi = D/P > 0`` (input dimension over samples).
    activation : None, "linear", "relu", "tanh", "erf" or callable
        The elementwise activation ``f``; ``None``/"linear" is ``f(x) = x``. A callable must
        map float arrays to float arrays of the same shape.
    """

    def __init__(self, ratio: float, data_ratio: float, activation=None):
        self.ratio = check.positive("ratio", ratio)
        self.data_ratio = check.positive("data_ratio", data_ratio)
        self.activation = activation
        self._f = activation_function(activation)
        self.psi = self.data_ratio / self.ratio
        if self._f is None:
            self.coefficients = ActivationCoefficients(mu0=0.0, eta=1.0, zeta=1.0, kappa2=0.0)
        else:
            self.coefficients = gaussian_coefficients(self._f)
        c = self.coefficients
        if c.eta <= 0:
            raise ValueError("activation is constant on the Gaussian (Var f(z) = 0): no bulk")
        #: the centred activation is linear (eta == zeta): rank limited by D, use the product
        self.is_linear = c.eta - c.zeta <= 1e-12 * c.eta
        phi, psi = self.data_ratio, self.psi
        upper = c.zeta * (1 + math.sqrt(phi)) ** 2 * (1 + math.sqrt(psi)) ** 2 / psi
        upper += (c.eta - c.zeta) * (1 + math.sqrt(self.ratio)) ** 2
        self._upper_bound = upper

    def __repr__(self) -> str:
        return (f"RandomFeatures(ratio={self.ratio!r}, data_ratio={self.data_ratio!r}, "
                f"activation={self.activation!r})")

    # ------------------------------------------------------------------ linear
    @cached_property
    def gram_product(self) -> FreeProduct:
        """``K = MP(phi) ⊠ MP(psi, 1/psi)``: the ``D x D`` companion of the linear-feature Gram
        matrix, scaled by ``zeta`` (``(E f')^2``) when the centred activation is linear."""
        zeta = self.coefficients.zeta
        return FreeProduct(MarchenkoPastur(self.data_ratio, zeta),
                           MarchenkoPastur(self.psi, 1.0 / self.psi))

    #: use the algebraic fast path on ``equation()`` (set ``False`` on an instance to force
    #: the free-product route (linear) or the continuation solver (nonlinear) everywhere)
    fast_path: bool = True

    @cached_property
    def _fast_roots(self):
        from rmtdyn.spectra.algebraic_roots import AlgebraicRoots

        return AlgebraicRoots(self._equation(exact=True), (0.0, self._upper_bound), self.atoms())

    def _linear_by_product(self, z):
        """Linear features: ``g = psi g_K + (1 - psi)/z`` with ``K = gram_product``."""
        psi = self.psi
        z = np.where(z == 0, -1e-15 * self._upper_bound + 0j, z)
        gk, dgk = stieltjes_and_derivative(self.gram_product, z)
        return psi * gk + (1 - psi) / z, psi * dgk - (1 - psi) / z**2

    # --------------------------------------------------------------- transforms
    def _stieltjes_upper(self, z):
        return self._stieltjes_and_derivative_upper(z, derivative=False)[0]

    def _stieltjes_and_derivative_upper(self, z, derivative: bool = True):
        z = np.asarray(z, dtype=complex).ravel()
        if z.size == 0:
            return z.copy(), z.copy()
        # algebraic fast path (branch rule in rmtdyn.spectra.algebraic_roots) on the cubic
        # (linear) or quartic (nonlinear) of ``equation()``; points it cannot decide go to
        # the free-product route (linear) or the continuation solver (nonlinear)
        slow = self._linear_by_product if self.is_linear else self._nonlinear_by_continuation
        fast = self._fast_roots if self.fast_path else None
        if fast is None:
            return slow(z)
        return fast.stieltjes_with_fallback(slow, z, derivative)

    def _nonlinear_by_continuation(self, z):
        """Nonlinear features: the Pennington-Worah equation for ``p`` by continuation."""
        psi = self.psi
        # Near z = 0 the equation loses digits (t = 1/(z psi) is huge). For gamma != 1 the
        # bulk stays away from 0, so the continuous part u = g - m0/z (m0 = 1 - 1/gamma, the
        # atom at 0, or 0) is analytic there: |z| < floor uses u's first-order Taylor
        # expansion from |z| = floor in the same direction (floor = 1e-6 bound, 1e-10 bound
        # with an atom; bound = the upper bound of the bulk; z = 0 goes to -floor). At
        # gamma = 1 the bulk has a hard edge at 0, which this solver does not resolve below
        # 1e-10 bound: it raises there (the algebraic fast path covers it).
        floor = (1e-10 if self.ratio >= 1.0 else 1e-6) * self._upper_bound
        size = np.abs(z)
        if self.ratio == 1.0 and np.any(size < floor):
            raise ConvergenceError(
                f"random-features continuation solver: |z| < {floor:.3g} is too close to the "
                "hard edge at 0 (ratio = 1); use the algebraic fast path (fast_path=True)",
                residual=float("inf"))
        z_eval = np.where(size < floor, z * floor / np.maximum(size, 1e-300), z)
        z_eval = np.where(size == 0, -floor + 0j, z_eval)
        # the relative residual reachable near 0 is ~eps * bound/|z|: accept 1e-8 there
        near0 = np.abs(z_eval) < 1e-4 * self._upper_bound
        p = np.empty(z_eval.shape, dtype=complex)
        for mask, tol in ((~near0, 1e-10), (near0, 1e-8)):
            if mask.any():
                p[mask] = solve_by_continuation(
                    self._residual, z_eval[mask], self._p_init, eta_start=self._upper_bound,
                    fixed_point=self._fixed_point, valid=self._valid, residual_tol=tol,
                    name="random-features (Pennington-Worah) equation")
        c = self.coefficients
        _, _, _, q = self._q(p, z_eval)
        zq = np.abs(c.zeta * q)
        size_e = (np.abs(p) + 1.0 + np.abs((c.eta - c.zeta) * q)) * (1.0 + zq) + zq
        _, dfdp = self._residual(p, z_eval)
        dfdz = self._residual_dz(p, z_eval) / size_e
        with np.errstate(divide="ignore", invalid="ignore"):
            dp = -dfdz / dfdp
        g = (psi * p + 1 - psi) / z_eval
        dg = psi * dp / z_eval - g / z_eval
        moved = z_eval != z
        if moved.any():
            m0 = max(0.0, 1.0 - 1.0 / self.ratio)
            ze, zz = z_eval[moved], z[moved]
            du = dg[moved] + m0 / ze**2
            with np.errstate(divide="ignore", invalid="ignore"):
                pole = np.where(zz == 0, complex(0.0, -np.inf), m0 / zz) if m0 else 0.0
                g[moved] = pole + (g[moved] - m0 / ze) + du * (zz - ze)
                dg[moved] = du - (m0 / zz**2 if m0 else 0.0)
        return g, dg

    def _q(self, p, z):
        t = 1.0 / (z * self.psi)
        a = 1.0 + (p - 1.0) * self.data_ratio
        b = 1.0 + (p - 1.0) * self.psi
        return t, a, b, t * a * b

    def _residual(self, p, z):
        """``E(p) = (p - 1 - (eta - zeta) q)(1 - zeta q) - zeta q`` and ``dE/dp``, both divided
        by the size of E's terms ``s = (|p| + 1 + |(eta - zeta) q|)(1 + |zeta q|) + |zeta q|``
        (a positive weight held fixed in the derivative: Newton steps are unchanged and the
        residual becomes relative, which matters near z = 0 where q is huge)."""
        c = self.coefficients
        t, a, b, q = self._q(p, z)
        dq = t * (self.data_ratio * b + self.psi * a)
        noise = c.eta - c.zeta
        head = p - 1.0 - noise * q
        f = head * (1.0 - c.zeta * q) - c.zeta * q
        df = (1.0 - noise * dq) * (1.0 - c.zeta * q) - head * c.zeta * dq - c.zeta * dq
        zq = np.abs(c.zeta * q)
        with np.errstate(over="ignore", invalid="ignore"):
            size = (np.abs(p) + 1.0 + np.abs(noise * q)) * (1.0 + zq) + zq
        return f / size, df / size

    def _residual_dz(self, p, z):
        """``dE/dz`` at fixed ``p`` (``dq/dz = -q/z``)."""
        c = self.coefficients
        _, _, _, q = self._q(p, z)
        dq = -q / z
        head = p - 1.0 - c.eta * q + c.zeta * q
        return -(c.eta - c.zeta) * dq * (1.0 - c.zeta * q) - head * c.zeta * dq - c.zeta * dq

    def _fixed_point(self, p, z):
        c = self.coefficients
        _, _, _, q = self._q(p, z)
        return 1.0 + (c.eta - c.zeta) * q + c.zeta * q / (1.0 - c.zeta * q)

    def _p_init(self, z):
        return 1.0 + self.coefficients.eta / (z * self.psi)

    def _valid(self, p, z):
        g = (self.psi * p + 1 - self.psi) / z
        return (g.imag <= 1e-9 * np.abs(g)) & np.isfinite(g)

    # ------------------------------------------------------------------ support
    @cached_property
    def _support(self):
        found = algebraic_support(self._fast_roots, self._stieltjes_upper)
        if found is not None:
            return found
        if self.is_linear:
            return self.gram_product.support()
        return scan_support(self._stieltjes_upper, 0.0, self._upper_bound, smallest=1e-6)

    def support(self):
        """Intervals of the bulk (continuous part): between consecutive real zeros of the
        discriminant of ``equation()`` where the density is positive (edges to ~1e-15
        relative; ``rmtdyn.spectra.free.algebraic_support``)."""
        return self._support

    def atoms(self):
        """Atom at 0: ``1 - rank/N`` with rank ``min(P, D)`` (linear) or ``P`` (nonlinear)."""
        if self.is_linear:
            mass = 1.0 - min(1.0, self.data_ratio) / self.ratio
        else:
            mass = 1.0 - 1.0 / self.ratio
        return ((0.0, mass),) if mass > 1e-15 else ()

    def moment(self, k):
        """Linear case: ``psi`` times the moments of the free product (exact); else quadrature."""
        k = check.positive_int("k", k, minimum=0)
        if k == 0:
            return 1.0
        if self.is_linear:
            return self.psi * self.gram_product.moment(k)
        return super().moment(k)

    # ------------------------------------------------------------------ outlier
    def outlier(self, n: int | None = None) -> tuple[float, float] | None:
        r"""The spike created by the activation's mean ``mu0``: ``(location, weight)``.

        ``None`` when ``mu0 = 0``. Without ``n`` (the limit N -> inf): ``(inf, 0.0)``.
        For ``N = n`` features, second-order perturbation theory around the spike
        ``mu0 1_P 1_N^T`` (including the row/column-mean fluctuations that come from the
        norms ``|x|^2/D``, ``|w|^2/D``, through ``kappa2 = E f''(z)``) gives the estimate

            location = n mu0^2 + eta (1 + gamma) + kappa2^2 gamma / phi,   weight = 1/n,

        with random ``O(1)`` fluctuations around it (it is a mean, not a bound).
        """
        c = self.coefficients
        if c.mu0 == 0.0:
            return None
        if n is None:
            return (math.inf, 0.0)
        n = check.positive_int("n", n)
        loc = n * c.mu0**2 + c.eta * (1.0 + self.ratio) + c.kappa2**2 * self.ratio / self.data_ratio
        return (float(loc), 1.0 / n)

    # ------------------------------------------------------------------ sampling
    def sample(self, n, rng=None):
        """``Phi^T Phi / P`` with ``N = n``, ``P = round(n/ratio)``, ``D = round(P data_ratio)``,
        using the raw (uncentred) activation."""
        n = self._check_sample_size(n)
        rng = check.rng(rng)
        p = max(1, round(n / self.ratio))
        d = max(1, round(p * self.data_ratio))
        x = rng.standard_normal((p, d))
        w = rng.standard_normal((d, n))
        pre = x @ w / math.sqrt(d)
        phi = pre if self._f is None else np.asarray(self._f(pre), dtype=float)
        return phi.T @ phi / p

    # ------------------------------------------------------------------ symbolic
    def s_transform(self):
        r"""Voiculescu's S-transform as a sympy expression in ``rmtdyn.symbolic.W``.

        With ``w = z g - 1`` (the moment generating function ``psi(1/z)``) the
        Pennington-Worah variables are ``p - 1 = w/psi``, ``p_phi = 1 + w phi/psi``,
        ``p_psi = 1 + w`` and ``q = t p_phi p_psi``, and their equation is quadratic in ``q``:

            zeta (eta - zeta) q^2 - (eta + zeta w/psi) q + w/psi = 0

        (``q ~ w/(psi eta)`` as ``w -> 0``). ``S(w) = (1 + w)/w * (1/z) = psi q/(w p_phi)``:

            S(w) = 2 / ((1 + w phi/psi) (b + sqrt(b^2 - 4 zeta (eta - zeta) w/psi))),
            b = eta + zeta w/psi.

        Linear features (``eta = zeta``): ``S = 1/(zeta (1 + w/psi)(1 + w phi/psi))``, the
        product of the two Marchenko-Pastur factors' S-transforms moved by the atom at 0
        (``S_A(w) = (1 + w)/(psi + w) S_K(w/psi)``). ``eta`` and ``zeta`` enter as in
        ``equation()``; the ratios as rationals.
        """
        import sympy as sp

        from rmtdyn.symbolic.polynomials import exact_rational
        from rmtdyn.symbolic.symbols import W

        phi, psi = self._exact_ratios()
        c = self.coefficients
        if self.is_linear:
            zeta = exact_rational(c.zeta)
            return 1 / (zeta * (1 + W / psi) * (1 + W * phi / psi))
        eta, zeta = sp.Float(c.eta, 17), sp.Float(c.zeta, 17)
        b = eta + zeta * W / psi
        return 2 / ((1 + W * phi / psi) * (b + sp.sqrt(b**2 - 4 * zeta * (eta - zeta) * W / psi)))

    def equation(self):
        r"""``P(g, z) = 0`` satisfied by the bulk's Stieltjes transform (see ``_equation``)."""
        return self._equation(exact=False)

    def _equation(self, exact: bool):
        r"""``P(g, z) = 0`` satisfied by the bulk's Stieltjes transform.

        **Linear** (centred) activation: the product equation at
        ``g_K = (g - (1 - psi)/z)/psi`` (cubic in ``g``; exact rational coefficients).

        **Nonlinear**: with ``p = (z g - 1 + psi)/psi`` the Pennington-Worah variables are
        ``p - 1 = (z g - 1)/psi``, ``p_psi = z g`` and ``q = t p_phi p_psi = Q/psi^2`` with
        ``Q = g (psi - phi + phi z g)``, so the equation (module docstring) times ``psi^4`` is

            (psi (z g - 1) - (eta - zeta) Q) (psi^2 - zeta Q) - zeta psi^2 Q = 0,

        quartic in ``g``. Its coefficients contain ``eta`` and ``zeta`` from Gauss-Hermite
        quadrature: as sympy ``Float`` for display, or (``exact=True``, used by the numerics)
        as the exact rationals equal to their double-precision values, so that the structure
        at z = 0 (the atom ``1 - 1/gamma``) holds exactly. The ratios enter as rationals.
        """
        import sympy as sp

        from rmtdyn.symbolic.polynomials import exact_rational
        from rmtdyn.symbolic.symbols import G, Z

        if self.is_linear:
            psi = exact_rational(self.psi)
            base = self.gram_product.equation().as_expr()
            expr = base.subs(G, (G - (1 - psi) / Z) / psi)
            return sp.Poly(sp.numer(sp.together(sp.expand(expr))), G, Z)
        c = self.coefficients
        if exact:
            eta, zeta = sp.Rational(c.eta), sp.Rational(c.zeta)
        else:
            eta, zeta = sp.Float(c.eta, 17), sp.Float(c.zeta, 17)
        return self._quartic(eta, zeta)

    def _exact_ratios(self):
        """``(phi, psi)`` as rationals (``exact_rational`` of ``data_ratio``, ``ratio``)."""
        from rmtdyn.symbolic.polynomials import exact_rational

        phi = exact_rational(self.data_ratio)
        return phi, phi / exact_rational(self.ratio)

    def _quartic(self, eta, zeta):
        """The nonlinear quartic of ``_equation`` with the given (sympy) ``eta``, ``zeta``."""
        import sympy as sp

        from rmtdyn.symbolic.symbols import G, Z

        phi, psi = self._exact_ratios()
        big_q = G * (psi - phi + phi * Z * G)
        expr = ((psi * (Z * G - 1) - (eta - zeta) * big_q) * (psi**2 - zeta * big_q)
                - zeta * psi**2 * big_q)
        return sp.Poly(sp.expand(expr), G, Z)

    def _high_precision_equation(self, dps):
        """Exact for linear features, ReLU and erf; ``eta`` and ``zeta`` by mpmath quadrature
        for tanh and mpmath-capable callables
        (``rmtdyn.spectra.activations.high_precision_coefficients``)."""
        if self.is_linear:
            return self._equation(exact=True)
        return self._quartic(*high_precision_coefficients(self.activation, dps))
