r"""Sample covariance with a general population: Silverstein's equation.

Model (conventions.md): ``X`` is ``P x N`` with iid N(0, sigma^2) entries, ``Sigma`` is
``N x N`` with spectral law ``H`` (the *population*), ``ratio = gamma = N/P`` and

    A = Sigma^{1/2} X^T X Sigma^{1/2} / P        (N x N).

Its law is the free multiplicative convolution ``H  [x]  MP(gamma, sigma^2)``.

Equations (rmtdyn convention ``g(z) = int rho/(z - l)``). Let ``T = sigma^2 H`` and split off
its atom at 0: ``T = h0 delta_0 + (1 - h0) T'`` (``T'`` the law of the non-zero values). The
zero directions of Sigma give zero rows and columns of A, so
``A ~ h0 delta_0 + (1 - h0) [T' [x] MP(gamma')]`` with the *active ratio*
``gamma' = gamma (1 - h0)``. With ``g'`` the transform of ``T'`` and ``v = 1/g_low(z)``
(``g_low = (1 - gamma)/z + gamma g`` the transform of the ``P x P`` companion
``X Sigma X^T / P``) Silverstein's equation is the explicit inverse

    z = x(v) = v (1 - gamma') + gamma' v^2 g'(v) = v + gamma' v int t/(v - t) dT'(t),     (S)

and then ``g(z) = [h0 + (1 - h0) v g'(v)] / z`` (equivalently the deterministic equivalent
``g(z) = int dT(t)/(z - c t)`` with ``c = z g_low(z) = z/v``). ``x`` is evaluated as
``v (1 - gamma') + gamma' v (v g'(v))``: ``v g'`` never under- or overflows, so the hard
edge keeps full accuracy down to ``|z| = 1e-300`` (``v^2`` alone would underflow there).

Branch (Silverstein & Bai 1995; Silverstein & Choi 1995). For ``Im z > 0`` the physical
``v`` is the *unique* root of (S) with ``Im v > 0``; ``v ~ z`` at infinity. For real ``z``
inside the support it is the unique root with ``Im v > 0``; outside it is real and lies on the
increasing branch ``x'(v) > 0`` that ``x`` maps onto the gap containing ``z``. Every solver
below ends with this *certificate* (``_physical``): a converged root is accepted when
``Im v > 1e-9 |v|`` (C1), or when it is numerically real, ``Re z`` is outside the support and
``v`` lies on that gap's increasing branch (C2: ``v`` inside the branch interval with
``x'(v) > 0``, or within ``1e-7 |v|`` of an end, where the two real roots that meet at an
edge are closer than double precision can separate). A point that no solver certifies
raises ``ConvergenceError``.

Support (Silverstein & Choi 1995): on the real line, outside ``supp T'``, ``x(v)`` is real
and ``x'(v) = 1 - gamma' int t^2/(v - t)^2 dT'`` is concave on each interval between the
singular points of ``T'``. The complement of ``supp A`` (away from 0) is the image under
``x`` of the set ``{v real : x'(v) > 0}``; its boundary points are the critical points
``x'(v) = 0``, found here to full precision by bracketing (``brentq``). Since
``x'(v*) = 0`` the edge ``x(v*)`` is insensitive (quadratically) to the error in ``v*``.
The atom of ``A`` at 0 has mass ``max(h0, 1 - 1/gamma)``.
"""

from __future__ import annotations

import math
from functools import cached_property

import mpmath
import numpy as np
from scipy.optimize import brentq, minimize_scalar

from rmtdyn import _validation as check
from rmtdyn.errors import ConvergenceError
from rmtdyn.solvers.polyroots import polynomial_roots
from rmtdyn.spectra.affine import AffineSpectrum
from rmtdyn.spectra.base import Spectrum
from rmtdyn.spectra.discrete import DiscreteSpectrum, mp_rational, split_counts
from rmtdyn.spectra.wigner import far_field

#: Discrete populations with at most this many distinct positive eigenvalues are solved by
#: batched polynomial roots (degree = count + 1); larger ones by Newton with continuation.
MAX_POLYNOMIAL_ATOMS = 12

#: A root with ``Im v <= REAL_AXIS_TOLERANCE |v|`` counts as real in the root rule.
REAL_AXIS_TOLERANCE = 1e-9

#: C2 accepts a real root within ``EDGE_SLACK |v|`` of an end of its branch interval.
EDGE_SLACK = 1e-7

#: For ``|v| > FAR_POPULATION * R`` (``R`` = the largest point of ``T'``) ``g'(v)`` is summed
#: from its moment series ``sum_k m_k / v^(k+1)``, ``SERIES_TERMS`` terms (truncation error
#: below ``(1/FAR_POPULATION)^SERIES_TERMS = 1e-32`` relative), instead of asking the population.
FAR_POPULATION = 100.0
SERIES_TERMS = 16

#: For ``|v| < NEAR_POPULATION * t_min`` (``t_min > 0`` the lowest point of a non-discrete ``T'``)
#: ``g'(v)`` is its Taylor series at 0 (``SERIES_TERMS`` terms, truncation below 1e-32;
#: coefficients by Cauchy's formula on ``|v| = t_min/2``) instead of the population's own ``g``
#: next to 0, which need not be accurate there (a composed law may be solved only to an
#: absolute tolerance, or clamped near 0).
NEAR_POPULATION = 1e-2

#: With ``gamma' <= 1`` and ``T'`` reaching 0, points with ``|z| < HARD_EDGE_RADIUS * scale``
#: are solved by continuation along the ray through ``z`` in ``log z`` (``_solve_hard_edge``).
HARD_EDGE_RADIUS = 1e-6

#: A root is converged when ``|x(v) - z| <= RESIDUAL_TOLERANCE (|lin| + |quad| + |z|)``
#: (the two terms of (S): the rounding scale of the residual).
RESIDUAL_TOLERANCE = 1e-11


def as_population(population) -> Spectrum:
    """Turn ``population`` (``(eigenvalues, weights)`` or a Spectrum) into a Spectrum >= 0."""
    if isinstance(population, Spectrum):
        if not getattr(population, "hermitian", True):
            raise ValueError("population must be a Hermitian spectrum (the eigenvalues of Sigma)")
        spec = population
    elif isinstance(population, (tuple, list)) and len(population) == 2:
        eigenvalues, weights = population
        spec = DiscreteSpectrum(eigenvalues, weights)
    else:
        raise TypeError("population must be a pair (eigenvalues, weights) or an rmtdyn Spectrum, "
                        f"got {type(population).__name__}")
    if not spec.is_positive():
        raise ValueError("population eigenvalues must be >= 0 (Sigma is a covariance matrix)")
    return spec


class PopulationMarchenkoPastur(Spectrum):
    r"""Law of ``A = Sigma^{1/2} X^T X Sigma^{1/2} / P`` (``MarchenkoPastur(.., population=)``).

    Parameters
    ----------
    ratio : float
        ``gamma = N/P > 0`` (dimension over samples).
    variance : float
        ``sigma^2 > 0``, the variance of the entries of X (multiplies the population).
    population : pair or Spectrum
        The spectrum of Sigma: ``(eigenvalues, weights)`` (weights positive, summing to 1),
        a ``DiscreteSpectrum``, or any Hermitian rmtdyn spectrum on ``[0, inf)``
        (e.g. ``MarchenkoPastur(0.3)``).

    Numerics (double precision; every path ends with the branch certificate of the module
    docstring). Off the axis a plain Newton iteration from ``v ~ z - gamma' E[t]`` usually
    lands on the certified root. Otherwise: discrete populations with <= 12 distinct positive
    eigenvalues multiply (S) by ``prod (v - t_j)`` and solve the polynomial of degree
    ``k + 1`` for all z at once (companion matrices; the root with the largest ``Im v``, or in
    a gap the real root on that gap's increasing branch, then Newton polish); other
    populations follow a continuation in ``Im z`` from ``Im z + 10 (1 + scale)`` down to the
    target (the branch is carried from infinity). Next to ``z = 0``: with ``gamma' <= 1`` and
    ``T'`` bounded away from 0, Newton starts from the quadratic expansion
    ``x(v) ~ (1 - gamma') v - gamma' E[1/t] v^2``; with ``gamma' <= 1`` and ``T'`` reaching 0
    (a hard edge whose exponent depends on the population) the solution is continued along
    the ray through z from ``|z| = 1e-6 scale`` inwards in ``log z``, each step predicted by
    the local exponent ``d log v / d log z = x/(v x')`` and corrected by Newton's method on
    ``log x(v) = log z`` (exact for a power law, so the steps grow geometrically).
    ``g'`` and ``v g''`` come from the population (``_population_terms``): its own ``g`` and
    ``g'`` at moderate ``|v|``; the moment series for ``|v| > 100 R``; the Taylor series at 0
    (Cauchy coefficients on ``|v| = t_min/2``) for ``|v| < t_min/100`` when ``T'`` is bounded
    away from 0; its high-precision path for ``|v| < 1e-8 R`` and where removing an atom at 0
    cancels digits; a continued power law below ``1e-280 R``. The result is as accurate as
    the population's own ``g`` where only the double-precision one exists (e.g. rmtdyn's free
    products hold ``g`` fixed for ``|v| < 1e-15 scale``).

    At ``z = 0`` with an atom or an infinite ``g(0 + i0)`` there (and at ``|z| < 1e-300``
    next to it, where ``|g|`` leaves the double range), ``g = complex(0, -inf)``.

    ``stieltjes(z, dps=...)``: a discrete population uses the algebraic equation
    (``rmtdyn.symbolic.highprec``); a population with a density uses Newton's method on (S)
    in mpmath with the population's own high-precision ``g`` and ``g'``, seeded by the
    double-precision root and accepted by the same certificate evaluated at high precision
    (``_mp_points``). A population without a high-precision path raises
    ``NotImplementedError``.
    """

    def __init__(self, ratio: float, variance: float = 1.0, population=None):
        if population is None:
            raise TypeError("population is required "
                            "(use MarchenkoPastur(ratio, variance) for Sigma = I)")
        self.ratio = check.positive("ratio", ratio)
        self.variance = check.positive("variance", variance)
        self.population = as_population(population)
        self.zero_mass = float(sum(m for loc, m in self.population.atoms() if loc == 0.0))
        if self.zero_mass >= 1.0 - 1e-12:
            raise ValueError("population must not be concentrated at 0 (Sigma = 0 gives A = 0)")
        #: gamma' = gamma (1 - h0): the ratio seen by the non-zero directions of Sigma.
        self.active_ratio = self.ratio * (1.0 - self.zero_mass)
        self.discrete = isinstance(self.population, DiscreteSpectrum)
        if not self.discrete and abs(self.active_ratio - 1.0) < 1e-12:
            # Density population within 1e-12 of the hard edge: the atom (mass < 1e-12) and the
            # gap below the bulk (width ~ 1e-25) are solved as gamma' = 1 (the continuation
            # cannot resolve them); results differ from the exact law only for |z| < ~1e-12.
            self.active_ratio = 1.0
        if self.discrete:
            pos = self.population.eigenvalues > 0
            self._t = self.variance * self.population.eigenvalues[pos]
            self._w = self.population.weights[pos] / self.population.weights[pos].sum()
        self._polynomial = self.discrete and self._t.size <= MAX_POLYNOMIAL_ATOMS

    def __repr__(self) -> str:
        return (f"MarchenkoPastur(ratio={self.ratio!r}, variance={self.variance!r}, "
                f"population={self.population!r})")

    # ----------------------------------------------------- effective population T'
    def _t_moment(self, n: int) -> float:
        """``E_T'[t^n]``, the moments of the non-zero part ``T'``."""
        if n == 0:
            return 1.0
        if self.discrete:
            return float(np.sum(self._w * self._t**n))
        return self.variance**n * self.population.moment(n) / (1.0 - self.zero_mass)

    @cached_property
    def _singular(self) -> list[tuple[float, float]]:
        """Sorted merged intervals (atoms as ``(a, a)``) of ``T'``: where ``x(v)`` is singular."""
        if self.discrete:
            return [(float(t), float(t)) for t in self._t]
        s2 = self.variance
        parts = [(s2 * a, s2 * b) for a, b in self.population.support()]
        parts += [(s2 * loc, s2 * loc) for loc, _ in self.population.atoms() if loc != 0.0]
        parts.sort()
        merged: list[list[float]] = []
        for a, b in parts:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return [(a, b) for a, b in merged]

    @cached_property
    def _radius(self) -> float:
        """``R``: the largest point of ``T'`` (its support and atoms)."""
        return max(max(abs(a), abs(b)) for a, b in self._singular)

    @cached_property
    def _reaches_zero(self) -> bool:
        """True when the support of ``T'`` starts at 0 (only possible with a density)."""
        return self._singular[0][0] <= 0.0

    @cached_property
    def _scale(self) -> float:
        return max(abs(b) for _, b in self._singular) * (1.0 + math.sqrt(self.active_ratio)) ** 2

    @cached_property
    def _series_moments(self) -> np.ndarray:
        return np.array([self._t_moment(k) for k in range(SERIES_TERMS)])

    def _series(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``g'(v) = sum_k m_k u^(k+1)``, ``v g''(v) = -sum_k (k+1) m_k u^(k+1)`` (``u = 1/v``)."""
        u = 1.0 / v
        m = self._series_moments
        s = np.zeros(v.shape, dtype=complex)
        ds = np.zeros(v.shape, dtype=complex)
        for k in range(m.size - 1, -1, -1):  # Horner in u
            s = s * u + m[k]
            ds = ds * u + (k + 1) * m[k]
        return u * s, -u * ds

    @cached_property
    def _near_coefficients(self) -> np.ndarray:
        """Taylor coefficients ``c_k`` of ``g'(v) = sum_k c_k v^k`` at 0 (``T'`` bounded away
        from 0, non-discrete), ``k < SERIES_TERMS``, by Cauchy's formula on the circle
        ``|v| = t_min/2`` (inside the gap at 0, where ``g'`` is analytic; ``g'`` below the axis
        is ``conj g'(conj v)``, its analytic continuation across the gap): the trapezoid rule
        with 64 nodes, exact up to ``2^-64`` relative aliasing. Only the population's values
        at distance ``t_min/2`` from its support are used."""
        r = 0.5 * self._singular[0][0]
        n = 64
        theta = 2.0 * np.pi * (np.arange(n) + 0.5) / n
        v = r * np.exp(1j * theta)
        s2, h0 = self.variance, self.zero_mass
        gc = (self.population.stieltjes(v / s2) / s2 - h0 / v) / (1.0 - h0)
        k = np.arange(SERIES_TERMS)
        coef = (gc[None, :] * np.exp(-1j * np.outer(k, theta))).mean(axis=1) / r**k
        return coef.real  # g' is real on the real axis next to 0: real coefficients

    def _near_series(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``g'(v) = sum_k c_k v^k`` and ``v g''(v) = sum_k k c_k v^k`` (``_near_coefficients``)."""
        c = self._near_coefficients
        s = np.zeros(v.shape, dtype=complex)
        ds = np.zeros(v.shape, dtype=complex)
        for k in range(c.size - 1, -1, -1):  # Horner in v
            s = s * v + c[k]
            ds = ds * v + k * c[k]
        return s, ds

    def _population_terms(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(g'(v), v dg'/dv)`` of ``T'`` for a 1-D complex array ``v`` (``v != 0``).

        (``v g''`` rather than ``g''``: it has the size of ``g'`` and never overflows at the hard
        edge, where ``g''`` alone can.) Discrete: exact sums. Otherwise ``|v| > FAR_POPULATION
        R``: the moment series; ``|v| < NEAR_POPULATION t_min``: the Taylor series at 0;
        else the population's own ``g`` and ``g'``
        (``rmtdyn.spectra.free.stieltjes_and_derivative``, which uses the population's
        analytic derivative where it has one), with its atom ``h0/v`` removed; where the
        population's ``g'`` overflows, ``v g'`` is a Richardson extrapolated central difference
        in ``log v``. For ``|v| < 1e-8 R``, and where removing the atom cancels more than 3
        digits, both come from the population's high-precision path if it has one
        (``_population_terms_hp``). Below the population's own resolution of 0 the power law
        is extrapolated (see the code).
        """
        if self.discrete:
            d = v[..., None] - self._t
            with np.errstate(divide="ignore", invalid="ignore"):
                return (self._w / d).sum(axis=-1), -(v * (self._w / (d * d)).sum(axis=-1))
        g = np.full(v.shape, np.nan + 0j)  # (a non-finite v, from a diverged Newton step)
        vdg = np.full(v.shape, np.nan + 0j)
        finite = np.isfinite(v)
        far = finite & (np.abs(v) > FAR_POPULATION * self._radius)
        if far.any():
            g[far], vdg[far] = self._series(v[far])
        close = finite & ~far & (np.abs(v) < NEAR_POPULATION * self._singular[0][0])
        if close.any():
            g[close], vdg[close] = self._near_series(v[close])
        near = finite & ~far & ~close
        if near.any():
            from rmtdyn.spectra.free import stieltjes_and_derivative

            vn = v[near]
            s2 = self.variance
            gp, dgp = stieltjes_and_derivative(self.population, vn / s2)
            with np.errstate(invalid="ignore", over="ignore"):
                gp, vdgp = gp / s2, vn * (dgp / (s2 * s2))
            # |v| < 1e-280 R, next to the population's own resolution of its pole at 0 (|u| <
            # 1e-300, where a law reaching 0 reports g = -i inf): extrapolated by the local
            # power law from v1 = 2e-280 R v/|v| (the same direction), g(v) = g(v1) (v/v1)^q
            # with q = v1 g'(v1)/g(v1), exact for a density ~ t^(a-1) at 0
            unresolved = np.abs(vn) < 1e-280 * self._radius
            if unresolved.any():
                vu = vn[unresolved]
                with np.errstate(invalid="ignore", divide="ignore"):  # (v = 0: along +1)
                    direction = np.where(vu == 0, 1.0 + 0j, vu / np.abs(vu))
                v1 = (2e-280 * self._radius) * direction  # |v1| >= 1e-280 R: no loop
                g1, vdg1 = self._population_terms(v1)
                with np.errstate(all="ignore"):
                    q = vdg1 / g1
                    gu = g1 * np.exp(q * np.log(vu / v1))
            # next to 0 (|v| < 1e-8 R): the population's own high-precision path, if it has one
            # (a shift, as in W + 2, cannot resolve |v| below eps |shift| in double precision;
            # a derivative from an equation or with an absolute step is not reliable there)
            tiny = ~unresolved & (np.abs(vn) < 1e-8 * self._radius)
            done = np.zeros(vn.shape, dtype=bool)  # T' values (atom removed) already final
            if tiny.any():
                hp_g, hp_vdg, ok = self._population_terms_hp(vn[tiny])
                idx = np.flatnonzero(tiny)[ok]
                done[idx] = True
            # otherwise v g' = dg/dlog v by Richardson-extrapolated central differences of g
            # along the ray (steps 1e-3, 2e-3 in log v: error ~1e-12 relative) where the
            # population's g' overflows, and next to 0
            redo = ~unresolved & ~done & np.isfinite(gp) & (~np.isfinite(vdgp) | tiny)
            if redo.any():
                vr = vn[redo] / s2
                d = []
                for h in (1e-3, 2e-3):
                    up = self.population.stieltjes(vr * math.exp(h))
                    down = self.population.stieltjes(vr * math.exp(-h))
                    d.append((up - down) / (2.0 * h * s2))
                vdgp[redo] = (4.0 * d[0] - d[1]) / 3.0
            h0 = self.zero_mass
            if h0 > 0:
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    atom = h0 / vn
                    gp, vdgp = gp - atom, vdgp + atom
                    # removing the atom cancels more than 3 digits: high precision again
                    lost = ~done & ~unresolved & ~(np.abs(gp) >= 1e-3 * np.abs(atom))
                gp, vdgp = gp / (1.0 - h0), vdgp / (1.0 - h0)
                if lost.any():
                    lg, lvdg, lok = self._population_terms_hp(vn[lost])
                    lidx = np.flatnonzero(lost)[lok]
                    gp[lidx], vdgp[lidx] = lg[lok], lvdg[lok]
            if tiny.any():
                gp[idx], vdgp[idx] = hp_g[ok], hp_vdg[ok]
            if unresolved.any():
                gp[unresolved], vdgp[unresolved] = gu, q * gu
            g[near], vdg[near] = gp, vdgp
        return g, vdg

    def _population_terms_hp(self, v):
        """``(g'(v), v g''(v), ok)`` of ``T'`` from the population's high-precision path
        (``mp_stieltjes_and_derivative``) at ``20 + log10(max(1, R/|v|))`` digits, its atom
        ``h0/v`` removed in mpmath; ``ok`` is False where the population has no such path or it
        fails (the double values are then kept: the result is as accurate as the population in
        double precision). The double-precision ``h0`` is removed: with ``gamma' = 1`` exactly
        its rounding (an atom of mass ~1e-16 left in ``T'``) decides ``g`` below ``|z| ~ 1e-32``
        scale, as the rounding of ``gamma'`` itself would."""
        out_g = np.full(v.shape, np.nan + 0j)
        out_vdg = np.full(v.shape, np.nan + 0j)
        ok = np.zeros(v.shape, dtype=bool)
        if not np.all(np.abs(v) > 0):
            return out_g, out_vdg, ok
        s2, h0 = self.variance, self.zero_mass
        dps = 20 + math.ceil(math.log10(max(1.0, self._radius / float(np.min(np.abs(v))))))
        try:
            with mpmath.workdps(dps + 10):
                s2m, h0m = mpmath.mpf(s2), mpmath.mpf(h0)  # the binary values: as in double
                vm = [mpmath.mpc(c.real, c.imag) for c in v]
                gs, dgs = mp_stieltjes_and_derivative(self.population, [x / s2m for x in vm],
                                                      dps, binary=True)
        except (NotImplementedError, ConvergenceError):
            return out_g, out_vdg, ok
        with mpmath.workdps(dps + 10):
            for i, (x, gi, dgi) in enumerate(zip(vm, gs, dgs, strict=True)):
                if not (mpmath.isfinite(gi.real) and mpmath.isfinite(gi.imag)
                        and mpmath.isfinite(dgi.real) and mpmath.isfinite(dgi.imag)):
                    continue
                gc = (gi / s2m - h0m / x) / (1 - h0m)
                vdgc = (x * dgi / (s2m * s2m) + h0m / x) / (1 - h0m)
                out_g[i], out_vdg[i], ok[i] = complex(gc), complex(vdgc), True
        ok &= np.isfinite(out_g) & np.isfinite(out_vdg)
        return out_g, out_vdg, ok

    # ---------------------------------------------------------- the inverse map x(v)
    def _terms(self, v):
        """``(lin, quad, x')``: ``x(v) = lin + quad`` with ``lin = v (1 - gamma')`` and
        ``quad = gamma' v (v g'(v))`` (no ``v^2``: it underflows at the hard edge), and
        ``x'(v) = (1 - gamma') + gamma' (2 v g' + v (v g''))``."""
        g, vdg = self._population_terms(v)
        gam = self.active_ratio
        with np.errstate(invalid="ignore", over="ignore"):
            vg = v * g
            lin = v * (1.0 - gam)
            quad = gam * (v * vg)
            dx = (1.0 - gam) + gam * (2.0 * vg + v * vdg)
        return lin, quad, dx

    def _x(self, v):
        """``x(v) = v (1 - gamma') + gamma' v (v g'(v))``."""
        lin, quad, _ = self._terms(v)
        return lin + quad

    def _dx(self, v):
        """``x'(v)``: exact for a discrete population, from the population's ``g'`` otherwise."""
        return self._terms(v)[2]

    def _residual(self, v, z, terms=None):
        """``|x(v) - z|`` relative to the rounding scale ``|lin| + |quad| + |z|``."""
        lin, quad, _ = self._terms(v) if terms is None else terms
        with np.errstate(invalid="ignore", over="ignore"):
            return np.abs(lin + quad - z) / np.maximum(np.abs(lin) + np.abs(quad) + np.abs(z),
                                                       1e-300)

    def _d2x_discrete(self, v: float) -> float:
        d = v - self._t
        return float(2.0 * self.active_ratio * np.sum(self._w * self._t**2 / d**3))

    # ----------------------------------------------------------------- support
    @cached_property
    def _edges(self) -> list[tuple[float, float, float, float]]:
        """Support intervals with the v-preimages of their edges: ``(a, b, v_a, v_b)``."""
        xr = lambda u: float(np.real(self._x(np.array([u], dtype=complex))[0]))  # noqa: E731
        dx = lambda u: float(np.real(self._dx(np.array([u], dtype=complex))[0]))  # noqa: E731

        self._kinks: list[float] = []
        sing = self._singular
        lo_s, hi_s = sing[0][0], sing[-1][1]
        span = max(hi_s, 1e-300)

        def inside(u):
            return u + 1e-13 * max(abs(u), span)

        # left component (-inf, lo_s): x' decreases from 1 to its value at lo_s.
        left = lo_s - 1e-13 * max(abs(lo_s), span)
        far_left = lo_s - 4.0 * span * (1.0 + self.active_ratio) - 1.0
        while dx(far_left) <= 0:
            far_left = lo_s - 4.0 * (lo_s - far_left)
        if self.active_ratio <= 1.0 and lo_s <= 0:
            # T' reaches 0: for v < 0, x' = 1 - gamma' int t^2/(v - t)^2 dT' > 1 - gamma' >= 0,
            # so x increases up to x(0) = 0: the lower edge is 0 with preimage exactly 0
            v_low = 0.0
        elif self.active_ratio == 1.0 and lo_s > 0:
            v_low = 0.0  # x'(0) = 1 - gamma' = 0 exactly: the hard edge at 0
        elif dx(left) < 0:
            v_low = brentq(dx, far_left, left, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                           maxiter=500)
        else:
            v_low = left
        # right component (hi_s, inf): x' increases to 1.
        right = hi_s + 1e-13 * max(abs(hi_s), span)
        far_right = hi_s + 4.0 * span * (1.0 + self.active_ratio) + 1.0
        while dx(far_right) <= 0:
            far_right = hi_s + 4.0 * (far_right - hi_s)
        if dx(right) < 0:
            v_high = brentq(dx, right, far_right, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                            maxiter=500)
        else:
            v_high = right
        # interior components: x' concave, at most one interval where x' > 0 (a gap of A).
        cuts = [v_low]
        for (_, p), (q, _) in zip(sing[:-1], sing[1:], strict=False):
            p_in, q_in = inside(p), q - 1e-13 * max(abs(q), span)
            if not p_in < q_in:
                continue
            if self.discrete:  # x'' decreases from +inf to -inf: its zero is the top of x'
                v_top = brentq(self._d2x_discrete, p_in, q_in, xtol=1e-300,
                               rtol=4 * np.finfo(float).eps, maxiter=500)
            else:  # x' concave: grid, then bounded Brent around the best grid point
                grid = p_in + (q_in - p_in) * (1 - np.cos(np.linspace(0, np.pi, 65))) / 2
                best = int(np.argmax([dx(u) for u in grid]))
                lo_g, hi_g = grid[max(best - 1, 0)], grid[min(best + 1, 64)]
                v_top = minimize_scalar(lambda u: -dx(u), bounds=(lo_g, hi_g), method="bounded",
                                        options={"xatol": 1e-12 * (1 + abs(hi_g))}).x
            if dx(v_top) <= 0:  # no gap, but the density bends sharply at x(v_top)
                self._kinks.append(xr(v_top))
                continue
            va = brentq(dx, p_in, v_top, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500) \
                if dx(p_in) < 0 else p_in
            vb = brentq(dx, v_top, q_in, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500) \
                if dx(q_in) < 0 else q_in
            cuts += [va, vb]
        cuts.append(v_high)
        edges = []
        for va, vb in zip(cuts[0::2], cuts[1::2], strict=False):
            a, b = (0.0 if va == 0.0 else xr(va)), xr(vb)  # x(0) = 0: the hard edge
            edges.append((max(a, 0.0), b, va, vb))
        edges.sort()
        for (_, b, _, _), (a, _, _, _) in zip(edges[:-1], edges[1:], strict=False):
            if not b < a:  # pragma: no cover - would contradict Silverstein-Choi
                raise ConvergenceError("support intervals overlap", residual=b - a)
        return edges

    def _quadrature_intervals(self):
        """Support intervals also cut at the "kinks" ``x(v_top)`` of closed gaps (where ``x'``
        peaks just below 0 and the density bends sharply), so that tanh-sinh nodes cluster
        there too; an interval starting at 0 is also cut at ``b 10^-k`` (``k = 1, 2, 3, 4,
        6``): there the density crosses over from its behaviour at 0 (set by ``gamma'`` and the
        population's own behaviour at 0) to the bulk at a scale that a single tanh-sinh rule
        resolves only to ~1e-6 of the mass."""
        pieces = []
        for a, b, _, _ in self._edges:  # also fills self._kinks
            cuts = [a] + sorted(k for k in self._kinks if a < k < b) + [b]
            if a == 0.0:
                cuts = sorted(set(cuts) | {b * 10.0**-k for k in (1, 2, 3, 4, 6)
                                           if b * 10.0**-k < cuts[1]})
            pieces += list(zip(cuts[:-1], cuts[1:], strict=True))
        return tuple(pieces)

    def support(self):
        """All intervals of the absolutely continuous part (edges to ~1e-15 relative)."""
        return tuple((a, b) for a, b, _, _ in self._edges)

    def atoms(self):
        mass = max(self.zero_mass, 1.0 - (1.0 - self.zero_mass) / self.active_ratio)
        return ((0.0, mass),) if mass > 0 else ()

    @cached_property
    def _g_at_zero(self) -> complex:
        """``g(0)`` when it is finite: ``h0 = 0``, ``gamma' < 1``, ``g(0) = g'(0)/(1 - gamma')``
        with ``g'(0)`` from the population (infinite when ``E_T'[1/t]`` is)."""
        if self.discrete:
            return complex(-np.sum(self._w / self._t)) / (1.0 - self.active_ratio)
        if not self._reaches_zero:
            return complex(self._near_coefficients[0]) / (1.0 - self.active_ratio)
        g0 = complex(self.population.stieltjes(np.zeros(1))[0]) / self.variance
        return g0 / (1.0 - self.active_ratio)

    @cached_property
    def _pole_at_zero(self) -> bool:
        """True when ``g(0 + i0)`` is infinite: an atom at 0, the hard edge ``gamma' = 1``, or
        ``gamma' < 1`` with ``E_T'[1/t]`` infinite."""
        if self.atoms():
            return True
        if self.active_ratio >= 1.0:
            return self._edges[0][0] == 0.0
        return not np.isfinite(self._g_at_zero)

    # ------------------------------------------------------------ Stieltjes
    def _stieltjes_upper(self, z):
        return self._evaluate(z, derivative=False)[0]

    def _stieltjes_and_derivative_upper(self, z):
        """``(g(z), g'(z))`` for ``Im z >= 0``; ``g'`` by implicit differentiation of (S):
        ``z g = h0 + (1 - h0) v g'(v)`` and ``dv/dz = 1/x'(v)`` give
        ``g'(z) = [(1 - h0)(g'(v) + v g''(v))/x'(v) - g]/z``."""
        z = np.ravel(np.asarray(z, dtype=complex))
        return self._evaluate(z, derivative=True)

    def _evaluate(self, z, derivative: bool):
        far, g_far = far_field(z, self._scale, self.moment(1))
        out = np.empty(z.shape, dtype=complex)
        dout = np.empty(z.shape, dtype=complex) if derivative else None
        out[far] = g_far
        if derivative:
            with np.errstate(under="ignore"):
                dout[far] = -g_far * g_far  # -1/z^2 to double precision there
        zn = z[~far]
        if zn.size:
            h0 = self.zero_mass
            v = self._solve_v(zn)
            nonzero = np.abs(zn) >= 1e-300  # below: g(z) = g(0) to double precision (or pole)
            g = np.empty(zn.shape, dtype=complex)
            zz, vv = zn[nonzero], v[nonzero]
            gc, vdgc = self._population_terms(vv)
            # g = h0/z + (1 - h0) (v/z) g'(v), with v and z each rescaled by an exact power of
            # two: (v_s g') / z_s times 2^(e_v - e_z). Neither |z|^2 nor v/z is formed (they
            # under/overflow for extreme z: v ~ 1e8 at z ~ 1e-300 next to an atom), and v g' is
            # not formed unscaled (its smaller component underflows when |v| ~ 1e-200).
            _, ez = np.frexp(np.maximum(np.abs(zz.real), np.abs(zz.imag)))
            _, ev = np.frexp(np.maximum(np.abs(vv.real), np.abs(vv.imag)))
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                zs = np.ldexp(zz.real, -ez) + 1j * np.ldexp(zz.imag, -ez)
                vs = np.ldexp(vv.real, -ev) + 1j * np.ldexp(vv.imag, -ev)
                part = (vs * gc) / zs
                gz = (1.0 - h0) * (np.ldexp(part.real, ev - ez) + 1j * np.ldexp(part.imag, ev - ez))
                if h0 > 0:
                    gz = gz + h0 / zz
            # |g| beyond the double range (|z| ~ 1e-308 next to a pole): reported as the pole
            gz[~np.isfinite(gz)] = complex(0.0, -np.inf)
            g[nonzero] = gz
            if self._pole_at_zero:
                g[~nonzero] = complex(0.0, -np.inf)
            elif (~nonzero).any():  # z ~ 0, g(0) finite
                g[~nonzero] = self._g_at_zero
            self._check_branch(zn, g)
            out[~far] = g
            if derivative:
                dg = np.empty(zn.shape, dtype=complex)
                _, _, dx = self._terms(vv)
                with np.errstate(all="ignore"):
                    dg[nonzero] = ((1.0 - h0) * (gc + vdgc) / dx - g[nonzero]) / zz
                    # g' is infinite at a pole and at a square-root edge (x'(v) = 0 there)
                    dg[~np.isfinite(g) | ~np.isfinite(dg)] = complex(-np.inf, 0.0)
                if (~nonzero).any():
                    dg[~nonzero] = complex(-np.inf, 0.0) if self._pole_at_zero else \
                        self._derivative_at_zero()
                dout[~far] = dg
        return out, dout

    def _derivative_at_zero(self) -> complex:
        """``g'(0) = c_1/(1 - gamma')^2 - gamma' c_0^2/(1 - gamma')^3`` (``h0 = 0``,
        ``gamma' < 1``; ``c_0, c_1 = g'(0), g''(0)`` of the population), from expanding (S)."""
        gam = self.active_ratio
        v = np.array([1e-300 + 0j])
        g0, vdg0 = self._population_terms(v)
        return complex(vdg0[0] / v[0] / (1 - gam) ** 2 - gam * g0[0] ** 2 / (1 - gam) ** 3)

    def _check_branch(self, z, g):
        """Enforce ``Im g <= 0`` (``Im z >= 0``): rounding next to a double root (an edge) may
        leave ``Im g`` up to ~sqrt(eps)|g| above 0, which is set to 0; more is an error."""
        finite = np.isfinite(g)
        noise = finite & (g.imag > 0) & (g.imag <= 1e-6 * np.abs(g))
        g[noise] = g[noise].real
        bad = finite & (g.imag > 0)
        if bad.any():
            raise ConvergenceError("Silverstein solver landed on a non-physical branch (Im g > 0) "
                                   f"at z = {z[bad][0]!r}", residual=float(np.max(g[bad].imag)))
        if np.isnan(g).any():  # pragma: no cover - guarded by construction
            raise ConvergenceError("Silverstein solver produced NaN", residual=np.nan)

    # ------------------------------------------------------------ the branch rule
    def _physical(self, v, z, terms=None):
        """The certificate of the module docstring (double precision).

        With ``noise = 64 eps (|lin| + |quad| + |z|) / (|x'(v)| |v|)`` (the relative error of a
        root that meets the residual test): C1 ``Im v > noise |v|`` (the true root is in the
        upper half plane, where it is unique); otherwise ``v`` counts as real (``Im v`` above
        ``-max(noise, 1e-9) |v|``) and C2 applies with ``x = Re z``: outside the support ``v``
        must lie on the increasing branch of that gap (inside its interval with ``x'(v) > 0``,
        or within ``EDGE_SLACK |v|`` of an end); inside the support (where the physical root
        is numerically real only when the density is below double-precision resolution, or
        next to an edge) ``Re x'(v) > 0`` or ``v`` within ``EDGE_SLACK |v|`` of an edge
        preimage of that interval (the real roots of the decreasing branches have ``x' < 0``).
        """
        lin, quad, dx = self._terms(v) if terms is None else terms
        size = np.abs(v)
        with np.errstate(all="ignore"):
            noise = 64 * np.finfo(float).eps * (np.abs(lin) + np.abs(quad) + np.abs(z)) / (
                np.abs(dx) * size)
        noise = np.where(np.isfinite(noise), np.maximum(noise, 1e-16), np.inf)
        finite = np.isfinite(v) & np.isfinite(dx)
        out = finite & (v.imag > noise * size)
        real = finite & ~out & (v.imag >= -np.maximum(noise, REAL_AXIS_TOLERANCE) * size)
        if real.any():
            inside, lo, hi = self._real_branch(z.real[real])
            vr = v.real[real]
            slack = EDGE_SLACK * np.abs(vr)
            with np.errstate(invalid="ignore"):
                near_end = (np.abs(vr - lo) <= slack) | (np.abs(vr - hi) <= slack)
            rising = np.real(dx[real]) > 0
            # where Re v lies in supp T', g' jumps across the axis: only the upper side counts
            upper = ~self._in_singular(vr) | (v.imag[real] >= 0)
            out[real] = upper & np.where(inside, rising | near_end,
                                         ((vr > lo) & (vr < hi) & rising) | near_end)
        return out

    def _in_singular(self, u: np.ndarray) -> np.ndarray:
        """Real ``u`` in the (closed) support or on an atom of ``T'``."""
        hit = np.zeros(u.shape, dtype=bool)
        for a, b in self._singular:
            hit |= (u >= a) & (u <= b)
        return hit

    def _edge_lookup(self, z):
        """``v`` at real z that coincide with a support edge, NaN elsewhere."""
        out = np.full(z.shape, np.nan + 0j)
        real = z.imag == 0
        for a, b, va, vb in self._edges:
            out[real & (z.real == a)] = va
            out[real & (z.real == b)] = vb
        return out

    def _real_branch(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For real x: the inside-support mask and a v-interval: in a gap (an edge belongs to
        the gap next to it) the increasing branch that maps onto it, inside the support the
        preimages ``(v_a, v_b)`` of the interval's edges."""
        edges = self._edges
        lo = np.full(x.shape, -np.inf)
        hi = np.full(x.shape, np.inf)
        inside = np.zeros(x.shape, dtype=bool)
        hi[x <= edges[0][0]] = edges[0][2]
        for i, (a, b, va, vb) in enumerate(edges):
            here = (x > a) & (x < b)
            inside |= here
            lo[here], hi[here] = va, vb
            nxt = edges[i + 1] if i + 1 < len(edges) else None
            gap = (x >= b) if nxt is None else (x >= b) & (x <= nxt[0])
            lo[gap] = vb
            hi[gap] = np.inf if nxt is None else nxt[2]
        return inside, lo, hi

    # ------------------------------------------------------------ solvers for v
    def _solve_v(self, z: np.ndarray) -> np.ndarray:
        """The physical root ``v`` of ``x(v) = z`` for ``Im z >= 0`` (see the class docstring)."""
        v = np.zeros(z.shape, dtype=complex)
        todo = np.abs(z) >= 1e-300  # g(z) = g(0) (or the pole) below: set by the caller
        edge_v = self._edge_lookup(z)
        on_edge = ~np.isnan(edge_v) & todo
        v[on_edge] = edge_v[on_edge]
        todo &= ~on_edge
        hard = todo & self._hard_edge_region(z)
        todo &= ~hard
        small = todo & self._small_root_region(z)
        if small.any():
            idx = np.flatnonzero(small)
            v_small, ok = self._solve_small(z[idx])
            v[idx[ok]] = v_small[ok]
            todo[idx[ok]] = False  # the rest goes through the general path below
        if todo.any():
            v[todo] = self._solve_general(z[todo])
        if hard.any():
            v[hard] = self._solve_hard_edge(z[hard])
        return v

    def _accept(self, v, ok, z):
        """``(v, good)``: ``v`` folded into the closed upper half plane at real z (below),
        ``good`` = converged (``ok``), small relative residual and certified physical.

        Fold rule: at real z a root ``v`` with ``Im v < 0`` of the equation evaluated with
        ``g'(v) = conj g'(conj v)`` (the Stieltjes transform below the axis, which is what
        every population returns there) means ``x(conj v) = conj z = z``: ``conj v`` is the
        root in the upper half plane, i.e. the physical one. (Newton lands there when an
        iterate crosses the axis inside ``supp T'``, where ``g'`` jumps.) For z real to
        double precision (``0 < Im z <= 1e-14 |z|``) ``conj v`` is the root at ``conj z``;
        two Newton steps at z then move it to the root at z.
        """
        near_real = np.abs(z.imag) <= 1e-14 * np.abs(z)
        fold = near_real & (v.imag < 0)
        v = np.where(fold, np.conj(v), v)
        refine = fold & (z.imag != 0)
        if refine.any():
            v[refine] = self._polish(v[refine], z[refine])
        good = ok & np.isfinite(v)
        if good.any():
            idx = np.flatnonzero(good)
            terms = self._terms(v[idx])
            good[idx] = (self._residual(v[idx], z[idx], terms) <= RESIDUAL_TOLERANCE) & \
                self._physical(v[idx], z[idx], terms)
        return v, good

    def _solve_general(self, z):
        """Direct Newton; then polynomial roots (small discrete populations); then continuation."""
        v, ok = self._direct(z)
        if ok.all():
            return v
        rest = np.flatnonzero(~ok)
        if self._polynomial:
            # Newton from the chosen root to convergence: next to an edge the companion roots
            # of the near-double pair are only ~sqrt(eps) accurate
            vp, conv = self._newton(self._solve_polynomial(z[rest]), z[rest], max_iter=50)
            vp, good = self._accept(vp, conv, z[rest])
            v[rest[good]] = vp[good]
            rest = rest[~good]
        if rest.size:
            v[rest] = self._solve_continuation(z[rest])
        return v

    def _direct(self, z):
        """Plain Newton from ``v ~ z - gamma' E[t]``, kept where certified."""
        v, ok = self._newton(z - self.active_ratio * self._t_moment(1), z, max_iter=30)
        v = self._polish(v, z, steps=1)  # one more step: the stop rule is on the step size
        return self._accept(v, ok, z)

    def _small_root_region(self, z):
        """Points where the physical ``v`` is tiny and ``T'`` is bounded away from 0
        (``gamma' <= 1``, ``|z| < 1e-6 t_min``): ``_solve_small``."""
        if self.active_ratio > 1 or self._reaches_zero:
            return np.zeros(z.shape, dtype=bool)
        return np.abs(z) < 1e-6 * self._singular[0][0]

    def _solve_small(self, z):
        r"""Small-``v`` solution: ``x(v) = (1 - gamma') v - gamma' E[1/t] v^2 + O(v^3)``.

        Start from the root of that quadratic chosen by the same rule as for the full
        equation (largest ``Im v``; if both are real, the one on the branch below ``v_low``
        closest to 0), then Newton on the full ``x(v) = z`` to relative precision.
        """
        gam = self.active_ratio
        if self.discrete:
            inv_mean = float(np.sum(self._w / self._t))  # E_T'[1/t]
        else:  # E_T'[1/t] = -g'(0)
            inv_mean = -float(self._near_coefficients[0])
        a, b = gam * inv_mean, 1.0 - gam
        disc = np.sqrt(b * b - 4.0 * a * z + 0j)
        # stable quadratic roots of a v^2 - b v + z = 0
        big = np.where(np.abs(b + disc) >= np.abs(b - disc), b + disc, b - disc)
        with np.errstate(divide="ignore", invalid="ignore"):
            r1 = np.where(big != 0, 2.0 * z / big, 0.0)
            r2 = np.where(big != 0, big / (2.0 * a), 0.0)
        cands = np.stack([r1, r2], axis=-1)
        v_low = self._edges[0][2]
        real_pair = np.all(np.abs(cands.imag) <= REAL_AXIS_TOLERANCE * np.abs(cands), axis=-1)
        score = np.where(real_pair[:, None],
                         -1e300 * (cands.real > v_low) - np.abs(cands), cands.imag)
        v0 = cands[np.arange(z.size), np.argmax(score, axis=-1)]
        v, ok = self._newton(v0, z, max_iter=100)
        return self._accept(v, ok, z)

    def _hard_edge_region(self, z):
        """``gamma' <= 1``, ``T'`` reaching 0 and ``|z| < HARD_EDGE_RADIUS * scale``."""
        if self.active_ratio > 1 or not self._reaches_zero:
            return np.zeros(z.shape, dtype=bool)
        return np.abs(z) < HARD_EDGE_RADIUS * self._scale

    def _solve_hard_edge(self, z):
        r"""Continuation along the ray through z, in ``log z``, from ``|z| = r0 = 1e-6 scale``.

        With ``T'`` reaching 0 and ``gamma' <= 1``, ``x(v) ~ C v^b`` near 0 with an exponent
        ``b`` in ``(1, 2]`` set by the population (``b = 3/2`` for a ``1/sqrt(t)`` density).
        Each step from ``|z_k|`` to ``|z_{k+1}| = lambda |z_k|`` predicts
        ``v_{k+1} = v_k lambda^p`` with the local exponent ``p = d log v / d log z = x/(v x')``
        and corrects by Newton's method on ``log x(v) - log z = 0`` in the variable
        ``log v`` (``v <- v exp(-log(x/z) x/(v x'))``), which is exact for a power law. A
        step is kept when the corrector converges, stays within ``|log(v/v_pred)| < 1/2`` and
        the root is certified (``_physical``); then the next step is twice as long (in
        ``log |z|``), otherwise a quarter as long. The start, at ``|z| = r0`` in the same
        direction, comes from the general solver.
        """
        r0 = HARD_EDGE_RADIUS * self._scale
        size = np.abs(z)
        unit = z / size
        real_z = z.imag == 0
        v = self._solve_general(np.where(real_z, np.sign(z.real) * r0 + 0j, unit * r0))
        log_now = np.full(z.shape, math.log(r0))
        log_end = np.log(size)
        step = np.full(z.shape, -math.log(1e4))
        active = log_now > log_end
        for _ in range(400):
            if not active.any():
                break
            idx = np.flatnonzero(active)
            nxt = np.maximum(log_now[idx] + step[idx], log_end[idx])
            at_end = nxt <= log_end[idx]
            zn = np.where(at_end, z[idx], np.where(real_z[idx], np.sign(z[idx].real) + 0j,
                                                   unit[idx]) * np.exp(nxt))
            lin, quad, dx = self._terms(v[idx])
            with np.errstate(all="ignore"):
                p = (lin + quad) / (v[idx] * dx)
                pred = v[idx] * np.exp(p * (nxt - log_now[idx]))
            new, ok = self._log_newton(pred, zn)
            with np.errstate(all="ignore"):
                ok &= np.abs(np.log(new / pred)) < 0.5
            new, ok = self._accept(new, ok, zn)
            good = idx[ok]
            v[good], log_now[good] = new[ok], nxt[ok]
            step[good] *= 2.0
            step[idx[~ok]] *= 0.25
            if np.any(np.abs(step[idx[~ok]]) < 1e-4):
                bad = idx[~ok][np.abs(step[idx[~ok]]) < 1e-4]
                raise ConvergenceError(
                    f"Silverstein equation at the hard edge: continuation in log z stalled at "
                    f"|z| = {math.exp(log_now[bad[0]]):.3g} towards {z[bad[0]]!r}",
                    residual=float(np.max(self._residual(v[bad], z[bad]))), iterations=0)
            active = log_now > log_end
        return v

    def _log_newton(self, v, z, max_iter: int = 12):
        """Newton on ``log x(v) = log z`` in ``log v``; returns ``(v, converged)``.

        Real negative z keep a real v (the iteration is real there)."""
        v = v.copy()
        conv = np.zeros(v.shape, dtype=bool)
        real = (z.imag == 0) & (z.real < 0)
        active = np.isfinite(v)
        for _ in range(max_iter):
            idx = np.flatnonzero(active)
            if not idx.size:
                break
            va = v[idx]
            lin, quad, dx = self._terms(va)
            x = lin + quad
            with np.errstate(all="ignore"):
                r = np.log(x / z[idx])
                rounding = 64 * np.finfo(float).eps * (np.abs(lin) + np.abs(quad)) / np.abs(x)
                new = va * np.exp(-r * x / (va * dx))
            new = np.where(real[idx], new.real + 0j, new)
            done = np.abs(r) <= np.maximum(rounding, 1e-15)
            fail = ~np.isfinite(new) & ~done
            v[idx] = np.where(done | fail, va, new)
            conv[idx[done]] = True
            active[idx[done | fail]] = False
        return v, conv

    def _solve_polynomial(self, z):
        base, qpad = self._poly_parts
        coeffs = base[None, :] - z[:, None] * qpad[None, :]
        roots = polynomial_roots(coeffs)
        # Rule 1: the unique root with Im v > 0 (Silverstein-Bai). By that uniqueness, at real z
        # outside the support *all* roots are real (a complex pair would give two roots in C+
        # for z + i0); so when even the top root is numerically real, Rule 1 is undecided.
        pick = roots[np.arange(z.size), np.argmax(roots.imag, axis=1)]
        # Rule 2 (all roots numerically real and Re z outside the support): the real root on
        # the increasing branch x'(v) > 0 that maps onto the gap containing Re z: first the
        # roots inside the branch interval, among them the most nearly real (lexicographic).
        # The Newton polish below then restores the small Im v of a z just above the axis.
        undecided = pick.imag <= REAL_AXIS_TOLERANCE * np.abs(pick)
        if undecided.any():
            inside, lo, hi = self._real_branch(z.real[undecided])
            r = roots[undecided]
            size = np.maximum(np.abs(r), 1e-300)
            with np.errstate(invalid="ignore"):
                gap = (np.maximum(lo[:, None] - r.real, 0) + np.maximum(r.real - hi[:, None], 0))
            score = np.where(gap > 0, 1.0 + gap / size, np.abs(r.imag) / size)
            on_branch = r[np.arange(r.shape[0]), np.argmin(score, axis=1)].real + 0j
            sub = pick[undecided]
            sub[~inside] = on_branch[~inside]
            pick[undecided] = sub
        return self._polish(pick, z)

    @cached_property
    def _poly_parts(self) -> tuple[np.ndarray, np.ndarray]:
        """(S) times ``Q(v) = prod (v - t_j)``: ``base(v) - z Q(v) = 0`` (low degree first)."""
        P = np.polynomial.polynomial
        t, w, gam = self._t, self._w, self.active_ratio
        q = P.polyfromroots(t)
        inner = np.zeros(t.size)
        for j in range(t.size):
            inner = P.polyadd(inner, w[j] * t[j] * P.polyfromroots(np.delete(t, j)))
        base = P.polyadd(P.polymulx(q), gam * P.polymulx(inner))
        qpad = np.zeros(base.size)
        qpad[: q.size] = q
        return base, qpad

    def _polish(self, v, z, steps: int = 2):
        """Newton steps on ``x(v) = z`` that are kept only when they lower the residual."""
        for _ in range(steps):
            lin, quad, slope = self._terms(v)
            res = lin + quad - z
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                trial = v - res / slope
            ok = np.isfinite(trial) & (np.abs(slope) > 1e-8)
            better = ok.copy()
            better[ok] = np.abs(self._x(trial[ok]) - z[ok]) < np.abs(res[ok])
            v = np.where(better, trial, v)
        return v

    def _solve_continuation(self, z):
        """Newton on ``x(v) - z`` with continuation ``z + i eta``, eta from 10 (1 + scale) to 0;
        the end point must be certified, else ``ConvergenceError``."""
        top = 10.0 * (1.0 + self._scale)
        v = z + 1j * top - self.active_ratio * self._t_moment(1)
        eta = top
        # each point follows z + i eta down to eta ~ 1e-8 |z| (or 1e-3 Im z), then eta = 0
        floor = np.maximum(np.maximum(1e-3 * z.imag, 1e-8 * np.abs(z)), 1e-300)
        while eta > floor.min():
            active = eta >= floor
            if active.any():
                v[active], _ = self._newton(v[active], z[active] + 1j * eta, max_iter=60)
            eta *= 0.2
        # Next to a support edge the root is nearly double and Newton stalls at a residual
        # ~1e-12: the residual test (not the step size) decides success there.
        v, _ = self._newton(v, z, max_iter=200)
        inside, _, _ = self._real_branch(z.real)
        real = z.imag == 0
        v[real & ~inside] = v[real & ~inside].real  # outside the support the root is real
        v, good = self._accept(v, np.ones(z.shape, dtype=bool), z)
        if not good.all():
            res = self._residual(v[~good], z[~good])
            raise ConvergenceError(
                f"Silverstein equation: no certified root at {int((~good).sum())} points "
                f"(first z = {z[~good][0]!r})",
                residual=float(np.nanmax(np.where(np.isfinite(res), res, np.inf))))
        return v

    def _newton(self, v, z, max_iter, tol=1e-13):
        """Vectorised Newton on ``x(v) = z`` (one target per point); ``(v, converged_mask)``.

        A point stops when the step is below ``tol |v|`` (relative, so tiny roots at the hard
        edge keep their digits) or the residual is at the rounding level of the two terms of
        ``x``; a non-finite step stops it unconverged.
        """
        v = v.copy()
        active = np.ones(v.shape, dtype=bool)
        conv = np.zeros(v.shape, dtype=bool)
        for _ in range(max_iter):
            idx = np.flatnonzero(active)
            if not idx.size:
                break
            va, za = v[idx], z[idx]
            lin, quad, dx = self._terms(va)
            res = lin + quad - za
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                step = res / dx
            bad = ~np.isfinite(step)
            rounding = 64 * np.finfo(float).eps * (np.abs(lin) + np.abs(quad) + np.abs(za))
            done = ~bad & ((np.abs(step) <= tol * np.abs(va)) | (np.abs(res) <= rounding))
            v[idx] = va - np.where(done | bad, 0.0, step)
            conv[idx[done]] = True
            active[idx[done | bad]] = False
        return v, conv

    # ----------------------------------------------------------------- high precision
    def _stieltjes_mp(self, z, dps):
        if self.discrete:
            return super()._stieltjes_mp(z, dps)  # the algebraic equation (highprec)
        flat = z.ravel()
        with mpmath.workdps(dps + 10):
            points = [mpmath.mpc(c.real, c.imag) for c in flat]
        g, _ = self._mp_points(points, dps, g_double=self.stieltjes(flat))
        out = np.empty(flat.shape, dtype=object)
        for i, gi in enumerate(g):
            out[i] = gi
        return out.reshape(z.shape)

    def _mp_points(self, points, dps: int, g_double=None, binary: bool = False):
        r"""``(g, g')`` at mpmath points, ``dps`` digits, for a population with a density.

        Newton's method on (S) in mpmath, written with the full ``T`` (its atom included):
        ``x(v) = v (1 - gamma) + gamma v (v g_T(v))``, ``g = v g_T(v)/z``; ``g_T`` and ``g_T'``
        from the population's own high-precision path (``mp_stieltjes_and_derivative``), at
        ``dps + 15`` digits plus those lost to the cancellation between the terms of ``x``.
        ``gamma`` and ``sigma^2`` are read by ``exact_rational`` as in ``equation()``
        (``binary``: as their exact binary values, see ``mp_stieltjes_and_derivative``). The
        seed is the
        double-precision root; the result must pass the certificate at high precision: for
        ``Im z > 0`` or a non-real root ``Im v > 0``; a real root (``|Im v| <= 10^-dps |v|``,
        only for real z) needs ``x'(v) > 0`` and ``Re v`` in the double-precision branch
        interval of its gap (``EDGE_SLACK`` allowed). If Newton from the seed is not certified
        (next to an edge the seed may sit between two nearly equal roots, or on the other side
        of the axis) the quadratic model ``x(v0) + x'(v0) d + x''(v0) d^2/2 = z`` at the seed
        gives the new start: the root with ``Im d > 0`` when the pair is complex, else the real
        one with ``x'(v0) + x''(v0) d > 0``. No certified root raises ``ConvergenceError``.
        Lower-half-plane points use ``g(conj z) = conj g(z)``; infinite double values (atoms,
        the pole at 0) are passed through.
        """
        n = len(points)
        with mpmath.workdps(dps + 10):
            zs = [mpmath.mpc(p) for p in points]
            lower = [zp.imag < 0 for zp in zs]
            zu = [mpmath.conj(zp) if lo else zp for zp, lo in zip(zs, lower, strict=True)]
        zd = np.array([complex(zp) for zp in zu])
        if g_double is None:
            g_double = self.stieltjes(zd)
        else:
            g_double = np.asarray(g_double, dtype=complex).ravel()
            g_double = np.where(np.array(lower, dtype=bool), np.conj(g_double), g_double)
        g_out: list = [None] * n
        dg_out: list = [None] * n
        work = [i for i in range(n) if np.isfinite(g_double[i])]
        passed = set(range(n)) - set(work)
        for i in range(n):
            if i in passed:
                with mpmath.workdps(dps):
                    g_out[i] = mpmath.mpc(g_double[i].real, g_double[i].imag)
                    dg_out[i] = mpmath.mpc(mpmath.inf)
        if work:
            seeds = self._double_seeds(zd[work])
            results = self._mp_newton([zu[i] for i in work], seeds, zd[work], dps, binary)
            for i, (gi, dgi) in zip(work, results, strict=True):
                g_out[i], dg_out[i] = gi, dgi
        with mpmath.workdps(dps):
            for i in range(n):
                if lower[i]:
                    g_out[i], dg_out[i] = mpmath.conj(g_out[i]), mpmath.conj(dg_out[i])
        return g_out, dg_out

    def _double_seeds(self, z):
        """Double-precision ``v`` at the points ``z`` (``Im z >= 0``) to start the mp Newton."""
        seeds = z - self.active_ratio * self._t_moment(1)  # far field: v ~ z - gamma' E[t]
        tiny = np.abs(z) < 1e-300
        seeds[tiny] = z[tiny] / (1.0 - self.active_ratio) if self.active_ratio < 1 else 0.0
        normal = ~tiny & ~(np.abs(z) > 1e16 * (1.0 + self._scale))
        if normal.any():
            seeds[normal] = self._solve_v(z[normal])
        return seeds

    def _mp_population(self, v, dps, binary=False):
        """``g_T`` and ``g_T'`` (``T = sigma^2 H``, atom included) at mpmath points."""
        s2 = _reader(binary)(self.variance)
        g, dg = mp_stieltjes_and_derivative(self.population, [vi / s2 for vi in v], dps, binary)
        return [gi / s2 for gi in g], [di / (s2 * s2) for di in dg]

    def _mp_newton(self, zs, seeds, zd, dps, binary=False):
        """Certified mp Newton on (S) at each point (see ``_mp_points``): list of ``(g, g')``."""
        gam_d = self.ratio
        # digits lost to the cancellation between the terms of x, from the double seed
        with np.errstate(all="ignore"):
            gc, _ = self._population_terms(np.where(seeds == 0, 1e-300, seeds))
            h0 = self.zero_mass
            terms = np.abs(seeds) * abs(1 - gam_d) + gam_d * (
                h0 * np.abs(seeds) + (1 - h0) * np.abs(seeds) ** 2 * np.abs(gc))
            lost = np.log10(np.maximum(terms / np.maximum(np.abs(zd), 1e-300), 1.0))
        extra = int(np.ceil(np.nanmax(np.where(np.isfinite(lost), lost, 0.0)))) if lost.size \
            else 0
        wdps = dps + 15 + extra
        out = []
        with mpmath.workdps(wdps):
            gam = _reader(binary)(self.ratio)
            one = mpmath.mpf(1)
            tol = mpmath.mpf(10) ** (-(dps + 8))

            def x_and_dx(vs):
                gt, dgt = self._mp_population(vs, wdps, binary)
                xs, dxs, sizes = [], [], []
                for vi, gi, di in zip(vs, gt, dgt, strict=True):
                    vg = vi * gi
                    lin, quad = vi * (one - gam), gam * (vi * vg)
                    xs.append(lin + quad)
                    sizes.append(abs(lin) + abs(quad))
                    dxs.append((one - gam) + gam * (2 * vg + vi * (vi * di)))
                return xs, dxs, gt, dgt, sizes

            def newton(vs, targets, steps):
                vs = list(vs)
                done = [False] * len(vs)
                for _ in range(steps):
                    act = [k for k in range(len(vs)) if not done[k]]
                    if not act:
                        break
                    xs, dxs, *_ = x_and_dx([vs[k] for k in act])
                    for k, xk, dk in zip(act, xs, dxs, strict=True):
                        if dk == 0:
                            done[k] = True
                            continue
                        step = (xk - targets[k]) / dk
                        vs[k] = vs[k] - step
                        if abs(step) <= tol * abs(vs[k]):
                            done[k] = True
                return vs

            def certified(vs, targets):
                """The certificate of ``_physical`` at the working precision."""
                _, dxs, _, _, sizes = x_and_dx(vs)
                flags = []
                for vi, zi, dxi, size in zip(vs, targets, dxs, sizes, strict=True):
                    av = abs(vi)
                    if not (mpmath.isfinite(vi.real) and mpmath.isfinite(vi.imag)) or av == 0:
                        flags.append(False)
                        continue
                    noise = mpmath.mpf(10) ** (-(wdps - 5)) * (size + abs(zi)) / (
                        max(abs(dxi), mpmath.mpf(10) ** (-wdps)) * av)
                    if vi.imag > noise * av:
                        flags.append(True)
                        continue
                    if zi.imag > 0 or vi.imag < -max(noise, mpmath.mpf(10) ** (-dps)) * av:
                        flags.append(False)
                        continue
                    # a real root: at this precision the sign of x' is exact, so it must be
                    # on an increasing branch; outside the support (in double precision) it
                    # must also lie in that gap's branch interval (its ends, computed in
                    # double precision, with EDGE_SLACK)
                    inside, lo, hi = self._real_branch(np.array([float(zi.real)]))
                    vr = float(vi.real)
                    slack = EDGE_SLACK * abs(vr)
                    rising = bool(mpmath.re(dxi) > 0)
                    within = bool(inside[0] or lo[0] - slack < vr < hi[0] + slack)
                    flags.append(rising and within)
                return flags

            def residual_ok(vs, targets):
                xs, *_ = x_and_dx(vs)
                return [abs(xk - zk) <= mpmath.mpf(10) ** (-(dps + 3)) * (abs(zk) + abs(vk))
                        for xk, zk, vk in zip(xs, targets, vs, strict=True)]

            def fold(vs, targets):  # the fold rule of _accept
                return [mpmath.conj(vi) if zi.imag == 0 and vi.imag < 0 else vi
                        for vi, zi in zip(vs, targets, strict=True)]

            vs = fold(newton([mpmath.mpc(s.real, s.imag) for s in seeds], zs, 40), zs)
            good = [c and r for c, r in zip(certified(vs, zs), residual_ok(vs, zs),
                                            strict=True)]
            for k in [k for k in range(len(vs)) if not good[k]]:
                vs[k], good[k] = self._mp_quadratic_restart(
                    mpmath.mpc(seeds[k].real, seeds[k].imag), zs[k], x_and_dx,
                    lambda v, t, n: fold(newton(v, t, n), t), certified, residual_ok, wdps)
            if not all(good):
                k = good.index(False)
                resid = abs(x_and_dx([vs[k]])[0][0] - zs[k]) / (abs(zs[k]) + abs(vs[k]))
                raise ConvergenceError(
                    f"high-precision Silverstein equation: no certified root at z = {zd[k]!r}",
                    float(resid), 0)
            _, dxs, gts, dgts, _ = x_and_dx(vs)
            for vi, zi, dxi, gi, di in zip(vs, zs, dxs, gts, dgts, strict=True):
                g = vi * gi / zi
                dg = ((gi + vi * di) / dxi - g) / zi
                with mpmath.workdps(dps):
                    out.append((+g, +dg))
        return out

    @staticmethod
    def _mp_quadratic_restart(v0, z, x_and_dx, newton, certified, residual_ok, wdps):
        """Restart at ``v0 + d`` from the quadratic model of ``x`` at ``v0`` (``_mp_points``)."""
        h = mpmath.mpf(10) ** (-(wdps // 3)) * max(abs(v0), mpmath.mpf(10) ** -300)
        xs, dxs, *_ = x_and_dx([v0, v0 + h, v0 - h])
        f0, f1 = xs[0] - z, dxs[0]
        f2 = (dxs[1] - dxs[2]) / (2 * h)
        if f2 == 0:
            return v0, False
        root = mpmath.sqrt(f1 * f1 - 2 * f0 * f2)
        cands = [(-f1 + root) / f2, (-f1 - root) / f2]
        real_tol = mpmath.mpf(10) ** (-(wdps // 2))
        if all(abs(c.imag) <= real_tol * (abs(c) + abs(v0)) for c in cands):
            cands.sort(key=lambda d: -mpmath.re(f1 + f2 * d))  # x' > 0 first
        else:
            cands.sort(key=lambda d: -d.imag)  # Im d > 0 first
        for d in cands:
            vs = newton([v0 + d], [z], 60)
            if certified(vs, [z])[0] and residual_ok(vs, [z])[0]:
                return vs[0], True
        return v0, False

    # ----------------------------------------------------------------- moments
    def moment(self, k):
        r"""Exact moments: 1/z series of ``g = int dT/(z - c t)``, ``c = 1 + gamma' sum m_j/z^j``.

        ``m_k = sum_{n=1}^{k} E_T[t^n] [z^{-(k-n)}] c^n`` (a recursion in k; equivalently the
        non-crossing-partition formula of the free product), then
        ``m_k(A) = (1 - h0) m_k`` for ``k >= 1``.
        """
        k = check.positive_int("k", k, minimum=0)
        if k == 0:
            return 1.0
        gam = self.active_ratio
        h = [self._t_moment(n) for n in range(k + 1)]
        m = [1.0]
        for order in range(1, k + 1):
            c = np.zeros(order + 1)
            c[0] = 1.0
            c[1:order] = gam * np.array(m[1:order])
            total, power = 0.0, np.zeros(order + 1)
            power[0] = 1.0
            for n in range(1, order + 1):
                power = np.convolve(power, c)[: order + 1]
                total += h[n] * power[order - n]
            m.append(total)
        return float((1.0 - self.zero_mass) * m[k])

    # ----------------------------------------------------------------- sampling
    def sample(self, n, rng=None):
        """``Sigma^{1/2} X^T X Sigma^{1/2} / P`` with ``P = round(n / ratio)`` and diagonal Sigma.

        Sigma carries the population's eigenvalues: multiplicities ``~ n w_j`` for a discrete
        population, the eigenvalues of ``population.sample(n, rng)`` otherwise.
        """
        n = self._check_sample_size(n)
        gen = check.rng(rng)
        if self.discrete:
            pop = self.population
            sigma = np.repeat(pop.eigenvalues, split_counts(n, pop.weights))
        else:
            sigma = np.clip(np.linalg.eigvalsh(self.population.sample(n, gen)), 0.0, None)
        p = max(1, round(n / self.ratio))
        x = math.sqrt(self.variance) * gen.standard_normal((p, n)) * np.sqrt(sigma)[None, :]
        return x.T @ x / p

    # ----------------------------------------------------------------- symbolic
    def equation(self):
        r"""``P(g, z)`` from the deterministic equivalent, cleared by sympy (discrete population).

        ``g = sum_j w_j / (z - c t_j)`` with ``c = 1 - gamma + gamma z g`` (``t_j`` = sigma^2 times
        the population eigenvalues, zero ones included); the numerator of
        ``g - sum_j w_j/(z - c t_j)`` is the polynomial.
        """
        if not self.discrete:
            raise NotImplementedError("the population is not discrete: no algebraic equation")
        import sympy as sp

        from rmtdyn.symbolic.polynomials import exact_rational
        from rmtdyn.symbolic.symbols import G, Z

        gam = exact_rational(self.ratio)
        s2 = exact_rational(self.variance)
        pop = self.population
        c = 1 - gam + gam * Z * G
        rhs = sum(exact_rational(w) / (Z - c * s2 * exact_rational(t))
                  for t, w in zip(pop.eigenvalues, pop.weights, strict=False))
        return sp.Poly(sp.numer(sp.together(G - rhs)), G, Z)

    def s_transform(self):
        """``S_A(w) = S_MP(w) S_H(w)``, ``S_MP = 1/(sigma^2 (1 + gamma w))`` (S_H known)."""
        import sympy as sp

        from rmtdyn.symbolic.polynomials import exact_rational
        from rmtdyn.symbolic.symbols import W

        gam = exact_rational(self.ratio)
        s2 = exact_rational(self.variance)
        return sp.simplify(self.population.s_transform() / (s2 * (1 + gam * W)))


# ---------------------------------------------------------------------------------------
# g and g' of any population at mpmath points
# ---------------------------------------------------------------------------------------
def _equation_with_dps(spec: Spectrum, dps: int):
    """``spec.high_precision_equation(dps)``, or ``NotImplementedError`` naming the population."""
    try:
        return spec.high_precision_equation(dps)
    except NotImplementedError as exc:
        raise NotImplementedError(
            f"the population {spec!r} has no high-precision path ({exc}); stieltjes(z, dps=...) "
            "of a population covariance needs the population's own") from exc


def _reader(binary: bool):
    """Parameters as mpmath numbers: the exact binary value of the double (``binary``), or
    ``exact_rational`` of it (the convention of ``equation()`` and of
    ``stieltjes(z, dps=...)``: ``0.3 -> 3/10``)."""
    if binary:
        return lambda x: mpmath.mpf(float(x))
    return mp_rational


def mp_stieltjes_and_derivative(spec: Spectrum, points, dps: int,
                                binary: bool = False) -> tuple[list, list]:
    """``(g, g')`` of the law ``spec`` at mpmath points (any half plane), ``dps`` digits.

    ``binary``: read the parameters (affine maps, discrete laws, population ratios) as the exact
    binary values of their doubles rather than by ``exact_rational``. The double
    solver uses this to resolve its own law next to 0: ``2 c`` and ``c`` print as decimals
    whose ratio is not exactly 2, which would move the edge of ``c W + 2 c`` off 0.

    Rule by type: a ``DiscreteSpectrum`` by its exact sums; an affine map by the chain rule on
    its base; a population covariance with a density by its own certified Newton
    (``PopulationMarchenkoPastur._mp_points``); any other spectrum with a high-precision
    ``stieltjes`` through its algebraic equation at those points
    (``rmtdyn.symbolic.highprec.stieltjes_from_equation_at``: the physical root next to the
    double-precision value, ``g' = -P_z/P_g``). Raises ``NotImplementedError`` otherwise.
    Real points mean ``x + i0``.
    """
    read = _reader(binary)
    if isinstance(spec, DiscreteSpectrum):
        with mpmath.workdps(dps + 10):
            lam = [read(a) for a in spec.eigenvalues]
            wts = [read(w) for w in spec.weights]
            g, dg = [], []
            for p in points:
                zp = mpmath.mpc(p)
                if any(zp == a for a in lam):
                    g.append(mpmath.mpc(0, -mpmath.inf) if zp.imag >= 0 else
                             mpmath.mpc(0, mpmath.inf))
                    dg.append(mpmath.mpc(mpmath.inf))
                    continue
                g.append(sum(w / (zp - a) for a, w in zip(lam, wts, strict=True)))
                dg.append(-sum(w / (zp - a) ** 2 for a, w in zip(lam, wts, strict=True)))
        return g, dg
    if isinstance(spec, AffineSpectrum):
        # g(z) = g_A((z - d)/c)/c; for c < 0 the upper half plane (and x + i0) maps to the
        # lower one, so the base is evaluated at the conjugate point and conjugated back
        with mpmath.workdps(dps + 10):
            c, d = read(spec.scale), read(spec.shift)
            flip = c < 0
            base_points = [(mpmath.mpc(p) - d) / c for p in points]
            if flip:
                base_points = [mpmath.conj(u) for u in base_points]
        g, dg = mp_stieltjes_and_derivative(spec.base, base_points, dps, binary)
        with mpmath.workdps(dps + 10):
            if flip:
                g, dg = [mpmath.conj(x) for x in g], [mpmath.conj(x) for x in dg]
            return [gi / c for gi in g], [di / (c * c) for di in dg]
    if isinstance(spec, PopulationMarchenkoPastur) and not spec.discrete:
        return spec._mp_points(points, dps, binary=binary)
    from rmtdyn.symbolic.highprec import stieltjes_from_equation_at

    poly = _equation_with_dps(spec, dps)
    g_double = spec.stieltjes(np.array([complex(p) for p in points]))
    return stieltjes_from_equation_at(poly, points, g_double, dps, derivative=True)
