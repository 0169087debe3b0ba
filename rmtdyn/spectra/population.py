r"""Sample covariance with a general population: Silverstein's equation.

Model (conventions.md): ``X`` is ``P x N`` with iid N(0, sigma^2) entries, ``Sigma`` is
``N x N`` with spectral law ``H`` (the *population*), ``ratio = gamma = N/P`` and

    A = Sigma^{1/2} X^T X Sigma^{1/2} / P        (N x N).

Its law is the free multiplicative convolution ``H  [x]  MP(gamma, sigma^2)``.

Equations (rmtdyn convention ``g(z) = int rho/(z - l)``). Let ``T = sigma^2 H`` and let
``g_low(z) = (1 - gamma)/z + gamma g(z)`` be the transform of the ``P x P`` companion
``X Sigma X^T / P``. With ``v = 1/g_low(z)`` Silverstein's equation is the explicit inverse

    z = x(v) = v (1 - gamma) + gamma v^2 g_T(v) = v + gamma v int t/(v - t) dT(t),     (S)

and then ``g(z) = g_T(v) / (1 - gamma + gamma v g_T(v)) = g_T(v) v / z`` (equivalently the
deterministic equivalent ``g(z) = int dT(t)/(z - c t)`` with ``c = z g_low(z) = z/v``).

Branch (Silverstein & Bai 1995): for ``Im z > 0`` the physical ``v`` is the *unique*
solution of (S) with ``Im v > 0``; ``v ~ z`` at infinity.

Support (Silverstein & Choi 1995): on the real line, outside ``supp T``, ``x(v)`` is real
and ``x'(v) = 1 - gamma int t^2/(v - t)^2 dT`` is concave on each interval between the
singular points of ``T``. The complement of ``supp A`` (away from 0) is the image under
``x`` of the set ``{v real : x'(v) > 0}``; its boundary points are the critical points
``x'(v) = 0``, found here to full precision by bracketing (``brentq``). Since
``x'(v*) = 0`` the edge ``x(v*)`` is insensitive (quadratically) to the error in ``v*``.

Atoms at 0 of the population are split off first: if ``H = h0 delta_0 + (1 - h0) H'``
then ``A ~ h0 delta_0 + (1 - h0) [H' [x] MP(gamma (1 - h0))]`` (the zero directions of
Sigma give zero rows and columns of A). The atom of ``A`` at 0 has mass
``max(h0, 1 - 1/gamma)``.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from rmtdyn import _validation as check
from rmtdyn.errors import ConvergenceError
from rmtdyn.solvers.polyroots import polynomial_roots
from rmtdyn.spectra.base import Spectrum
from rmtdyn.spectra.discrete import DiscreteSpectrum, split_counts
from rmtdyn.spectra.wigner import far_field

#: Discrete populations with at most this many distinct positive eigenvalues are solved by
#: batched polynomial roots (degree = count + 1); larger ones by Newton with continuation.
MAX_POLYNOMIAL_ATOMS = 12

#: A root with ``Im v <= REAL_AXIS_TOLERANCE |v|`` counts as real in the root rule.
REAL_AXIS_TOLERANCE = 1e-9


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

    Numerics. Discrete populations with <= 12 distinct positive eigenvalues: (S) times
    ``prod (v - t_j)`` is a polynomial of degree ``k + 1`` in ``v``, solved for all z at once
    by companion matrices; root rule: for ``Im z > 0`` the root with the largest ``Im v``
    (the unique one in the upper half plane), for real z inside the support likewise, for
    real z in a gap the real root on that gap's increasing branch ``x'(v) > 0`` (the branch
    intervals come from the edge computation; used when even the top root is numerically
    real), then Newton polish steps kept only when they lower the residual. Other populations:
    vectorised Newton on (S) from ``v ~ z - gamma' E[t]``, accepted where ``Im z > 0`` and the
    root has ``Im v > 0`` (uniqueness makes it the physical one); the remaining points follow
    a continuation in ``Im z`` from ``Im z + 10 (1 + scale)`` down to the target (the branch is
    carried from infinity); non-convergence raises ``ConvergenceError``. Next to ``z = 0`` with
    ``gamma' <= 1``, where ``v -> 0`` and both methods lose relative accuracy, Newton starts
    from the quadratic expansion ``x(v) ~ (1 - gamma') v - gamma' E[1/t] v^2``.

    At ``z = 0`` with an atom or a hard edge there (and at ``|z| < 1e-300``
    next to it, where ``|g|`` leaves the double range), ``g = complex(0, -inf)``.
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

    # ----------------------------------------------------- effective population T
    def _g_t(self, v: np.ndarray) -> np.ndarray:
        """``g_T(v)``: for a discrete population ``T = sigma^2 H'`` (atom at 0 removed exactly),
        otherwise ``T = sigma^2 H`` itself (an atom at 0 stays: removing it would cancel)."""
        if self.discrete:
            return (self._w / (v[..., None] - self._t)).sum(axis=-1)
        s2 = self.variance
        return self.population.stieltjes(v / s2) / s2

    @property
    def _x_ratio(self) -> float:
        """The ratio in ``x(v)``: gamma' with the zero atom removed (discrete), else gamma."""
        return self.active_ratio if self.discrete else self.active_ratio / (1.0 - self.zero_mass)

    def _t_moment(self, n: int) -> float:
        if self.discrete:
            return float(np.sum(self._w * self._t**n))
        return self.variance**n * self.population.moment(n) / (1.0 - self.zero_mass)

    @cached_property
    def _singular(self) -> list[tuple[float, float]]:
        """Sorted merged intervals (atoms as ``(a, a)``) of ``T``: where ``x(v)`` is singular."""
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
    def _scale(self) -> float:
        return max(abs(b) for _, b in self._singular) * (1.0 + math.sqrt(self.active_ratio)) ** 2

    # ---------------------------------------------------------- the inverse map x(v)
    def _x(self, v):
        """``x(v) = v (1 - gamma) + gamma v^2 g_T(v)`` (see ``_g_t``, ``_x_ratio``).

        This form (rather than ``v + gamma v int t/(v - t) dT``) has no cancellation as
        ``v -> 0`` when ``gamma' = 1``, which is what resolves the hard edge at 0.
        """
        lin, quad = self._x_terms(v)
        return lin + quad

    def _x_terms(self, v):
        gam = self._x_ratio
        return v * (1.0 - gam), gam * v * v * self._g_t(v)

    def _dx(self, v):
        """``x'(v) = (1 - gamma') + 2 gamma' v g_T + gamma' v^2 g_T'``: exact for a discrete
        population, otherwise from a one-sided difference along ``+i``."""
        gam = self._x_ratio
        if self.discrete:
            d = v[..., None] - self._t
            g = (self._w / d).sum(axis=-1)
            dg = -(self._w / (d * d)).sum(axis=-1)
            return (1.0 - gam) + 2.0 * gam * v * g + gam * v * v * dg
        return self._dx_numeric(v)

    def _dx_numeric(self, v):
        v = np.asarray(v, dtype=complex)
        dist = np.maximum(np.abs(v.imag), self._distance_to_singular(v.real))
        # x varies on the scale of the distance to the singular set and, near v = 0, of |v|
        h = 1e-6 * np.maximum(np.minimum(dist, np.maximum(np.abs(v), 1e-300)), 1e-300)
        # Forward differences along +i (stay in the upper half plane, where g_T is analytic):
        # f'(v) = (-3 f(v) + 4 f(v + ih) - f(v + 2ih)) / (2ih) + O(h^2).
        f0, f1, f2 = self._x(v), self._x(v + 1j * h), self._x(v + 2j * h)
        return (-3.0 * f0 + 4.0 * f1 - f2) / (2j * h)

    def _distance_to_singular(self, u: np.ndarray) -> np.ndarray:
        dist = np.full(np.shape(u), np.inf)
        for a, b in self._singular:
            dist = np.minimum(dist, np.where(u < a, a - u, np.where(u > b, u - b, 0.0)))
        return dist

    def _d2x_discrete(self, v: float) -> float:
        d = v - self._t
        return float(2.0 * self.active_ratio * np.sum(self._w * self._t**2 / d**3))

    # ----------------------------------------------------------------- support
    @cached_property
    def _edges(self) -> list[tuple[float, float, float, float]]:
        """Support intervals with the v-preimages of their edges: ``(a, b, v_a, v_b)``."""
        xr = lambda u: float(np.real(self._x(np.array([u], dtype=complex))[0]))  # noqa: E731
        if self.discrete:
            dx = lambda u: float(np.real(self._dx(np.array([u], dtype=float))[0]))  # noqa: E731
            d2x = self._d2x_discrete
        else:
            dx = lambda u: float(np.real(self._dx_numeric(np.array([u]))[0]))  # noqa: E731

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
        if self.active_ratio == 1.0 and lo_s > 0:
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
                v_top = brentq(d2x, p_in, q_in, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                               maxiter=500)
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
        there too."""
        pieces = []
        for a, b, _, _ in self._edges:  # also fills self._kinks
            cuts = [a] + sorted(k for k in self._kinks if a < k < b) + [b]
            pieces += list(zip(cuts[:-1], cuts[1:], strict=True))
        return tuple(pieces)

    def support(self):
        """All intervals of the absolutely continuous part (edges to ~1e-15 relative)."""
        return tuple((a, b) for a, b, _, _ in self._edges)

    def atoms(self):
        mass = max(self.zero_mass, 1.0 - (1.0 - self.zero_mass) / self.active_ratio)
        return ((0.0, mass),) if mass > 0 else ()

    @cached_property
    def _pole_at_zero(self) -> bool:
        """True when ``g(0 + i0)`` is infinite: an atom at 0 or a hard edge at 0."""
        return bool(self.atoms()) or self._edges[0][0] == 0.0

    # ------------------------------------------------------------ Stieltjes
    def _stieltjes_upper(self, z):
        far, g_far = far_field(z, self._scale, self.moment(1))
        zn = z[~far]
        out = np.empty(z.shape, dtype=complex)
        out[far] = g_far
        if zn.size:
            v = self._solve_v(zn)
            nonzero = np.abs(zn) >= 1e-300  # below: g(z) = g(0) to double precision (or pole)
            g = np.empty(zn.shape, dtype=complex)
            # g = g_T(v) v / z (no cancellation anywhere off z = 0)
            zz = zn[nonzero]
            # exact power-of-two rescaling first: |z|^2 under/overflows for extreme z
            _, e = np.frexp(np.maximum(np.abs(zz.real), np.abs(zz.imag)))
            num = self._g_t(v[nonzero]) * v[nonzero]  # (generic T keeps its atom: full g)
            with np.errstate(over="ignore", invalid="ignore"):
                gz = (np.ldexp(num.real, -e) + 1j * np.ldexp(num.imag, -e)) / (
                    np.ldexp(zz.real, -e) + 1j * np.ldexp(zz.imag, -e))
            # |g| beyond the double range (|z| ~ 1e-308 next to a pole): reported as the pole
            gz[~np.isfinite(gz)] = complex(0.0, -np.inf)
            g[nonzero] = gz
            if self._pole_at_zero:  # atom at 0 or hard edge at 0: g(0 + i0) is infinite
                g[~nonzero] = complex(0.0, -np.inf)
            elif (~nonzero).any():  # z ~ 0, gamma' < 1: v = 0 and g = g_T(0)/(1 - gamma')
                g[~nonzero] = self._g_t(np.zeros(1, dtype=complex))[0] / (1.0 - self.active_ratio)
            h0 = self.zero_mass
            if h0 > 0 and self.discrete:
                with np.errstate(over="ignore", invalid="ignore"):
                    g[nonzero] = h0 / zn[nonzero] + (1.0 - h0) * g[nonzero]
            self._check_branch(zn, g)
            out[~far] = g
        return out

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

    def _solve_v(self, z: np.ndarray) -> np.ndarray:
        """The physical root ``v`` of ``x(v) = z`` for ``Im z >= 0`` (see the class docstring)."""
        v = np.empty(z.shape, dtype=complex)
        zero = np.abs(z) < 1e-300  # g(z) = g(0) (or the pole) there: set by the caller
        v[zero] = 0.0
        work = ~zero
        edge_v = self._edge_lookup(z)
        on_edge = ~np.isnan(edge_v) & work
        v[on_edge] = edge_v[on_edge]
        work &= ~on_edge
        small = work & self._small_root_region(z)
        if small.any():
            v_small, ok = self._solve_small(z[small])
            v[small] = v_small
            idx = np.flatnonzero(small)
            work[idx[ok]] = False  # the rest falls back to the general path below
        if work.any():
            if self._polynomial:  # off the axis plain Newton usually suffices; roots otherwise
                idx = np.flatnonzero(work)
                v_direct, ok = self._direct(z[idx])
                v[idx[ok]] = v_direct[ok]
                rest = idx[~ok]
                if rest.size:
                    v[rest] = self._solve_polynomial(z[rest])
            else:
                v[work] = self._solve_newton(z[work])
        return v

    def _small_root_region(self, z):
        """Points where the physical ``v`` is tiny (``gamma' <= 1``, ``|z|`` small): there the
        companion-matrix roots and the continuation lose relative accuracy, so ``_solve_small``
        is used."""
        gam, low = self.active_ratio, self._singular[0][0]
        if gam > 1 or (gam == 1 and low <= 0):
            return np.zeros(z.shape, dtype=bool)
        if low <= 0:  # population reaching 0: only the linear term (1 - gamma') v is used
            return np.abs(z) < 1e-8 * (1 - gam) * self._scale
        return np.abs(z) < 1e-6 * low

    def _solve_small(self, z):
        r"""Small-``v`` solution: ``x(v) = (1 - gamma') v - gamma' E[1/t] v^2 + O(v^3)``.

        Start from the root of that quadratic chosen by the same rule as for the full
        equation (largest ``Im v``; if both are real, the one on the branch below ``v_low``
        closest to 0), then Newton on the full ``x(v) = z`` to relative precision.
        """
        gam = self.active_ratio
        if self._singular[0][0] <= 0:  # E_T'[1/t] may be infinite: v0 = z / (1 - gamma')
            v0 = z / (1.0 - gam)
            with np.errstate(all="ignore"):
                g0 = self._g_t(v0) - (self.zero_mass / v0 if not self.discrete else 0.0)
                rel = np.abs(gam * v0 * g0) / (1.0 - gam)  # neglected / kept term
            # |v| < 1e-100 scale: the neglected term is below 1e-100 relative even if g_T' there
            # cannot be evaluated (a pole of the population's own closed form)
            tiny = np.abs(v0) < 1e-100 * self._scale
            polish = ~tiny & ~(rel <= 1e-17)
            ok = np.ones(z.shape, dtype=bool)
            v0[polish], ok[polish] = self._newton(v0[polish], z[polish], max_iter=100,
                                                  strict=False)
            return v0, ok
        if self.discrete:
            inv_mean = float(np.sum(self._w / self._t))  # E_T'[1/t]
        else:  # from the population's own quadrature rule, its atom at 0 left out
            rule = self.population.quadrature_rule
            pos = rule.nodes > 0
            inv_mean = float(np.sum(rule.weights[pos] / rule.nodes[pos])) / (
                self.variance * (1.0 - self.zero_mass))
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
        # the neglected O(v^3) term is below double precision once |v| < 1e-17 t_min
        polish = np.abs(v0) > 1e-17 * self._singular[0][0]
        ok = np.ones(z.shape, dtype=bool)
        v0[polish], ok[polish] = self._newton(v0[polish], z[polish], max_iter=100, strict=False)
        return v0, ok

    def _edge_lookup(self, z):
        """``v`` at real z that coincide with a support edge, NaN elsewhere."""
        out = np.full(z.shape, np.nan + 0j)
        real = z.imag == 0
        for a, b, va, vb in self._edges:
            out[real & (z.real == a)] = va
            out[real & (z.real == b)] = vb
        return out

    def _real_branch(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For real x: inside-support mask and the v-interval of the increasing branch elsewhere."""
        edges = self._edges
        lo = np.full(x.shape, -np.inf)
        hi = np.full(x.shape, np.inf)
        inside = np.zeros(x.shape, dtype=bool)
        hi[x < edges[0][0]] = edges[0][2]
        for i, (a, b, _, vb) in enumerate(edges):
            inside |= (x > a) & (x < b)
            nxt = edges[i + 1] if i + 1 < len(edges) else None
            gap = (x > b) if nxt is None else (x > b) & (x < nxt[0])
            lo[gap] = vb
            hi[gap] = np.inf if nxt is None else nxt[2]
        return inside, lo, hi

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

    def _solve_polynomial(self, z):
        base, qpad = self._poly_parts
        coeffs = base[None, :] - z[:, None] * qpad[None, :]
        roots = polynomial_roots(coeffs)
        # Rule 1: the unique root with Im v > 0 (Silverstein-Bai). By that uniqueness, at real z
        # outside the support *all* roots are real (a complex pair would give two roots in C+
        # for z + i0); so when even the top root is numerically real, Rule 1 is undecided.
        pick = roots[np.arange(z.size), np.argmax(roots.imag, axis=1)]
        # Rule 2 (all roots numerically real and Re z outside the support): the real root on
        # the increasing branch x'(v) > 0 that maps onto the gap containing Re z. The Newton
        # polish below then restores the small Im v of a z just above the axis.
        undecided = pick.imag <= REAL_AXIS_TOLERANCE * np.abs(pick)
        if undecided.any():
            inside, lo, hi = self._real_branch(z.real[undecided])
            r = roots[undecided]
            gap_distance = np.maximum(lo[:, None] - r.real, 0) + np.maximum(r.real - hi[:, None], 0)
            score = np.abs(r.imag) + gap_distance
            on_branch = r[np.arange(r.shape[0]), np.argmin(score, axis=1)].real + 0j
            sub = pick[undecided]
            sub[~inside] = on_branch[~inside]
            pick[undecided] = sub
        return self._polish(pick, z)

    def _polish(self, v, z, steps: int = 2):
        """Newton steps on ``x(v) = z`` that are kept only when they lower the residual."""
        for _ in range(steps):
            res = self._x(v) - z
            slope = self._dx(v)
            with np.errstate(divide="ignore", invalid="ignore"):
                trial = v - res / slope
            ok = np.isfinite(trial) & (np.abs(slope) > 1e-8)
            better = ok.copy()
            better[ok] = np.abs(self._x(trial[ok]) - z[ok]) < np.abs(res[ok])
            v = np.where(better, trial, v)
        return v

    def _direct(self, z):
        """Plain Newton from ``v ~ z - gamma' E[t]``; a converged root with ``Im z > 0`` and
        ``Im v > 1e-9 |v|`` is the physical one (the only root in the upper half plane)."""
        v, ok = self._newton(z - self.active_ratio * self._t_moment(1), z, max_iter=30,
                             strict=False)
        v = self._polish(v, z, steps=1)  # one more step: the stop rule is on the step size
        return v, ok & (z.imag > 0) & (v.imag > REAL_AXIS_TOLERANCE * np.abs(v))

    def _solve_newton(self, z):
        """Newton on ``x(v) - z`` with continuation ``z + i eta``, eta from 10 (1 + scale) to 0."""
        top = 10.0 * (1.0 + self._scale)
        mean = self._t_moment(1)
        # Fast path: plain Newton from the large-z expansion v ~ z - gamma' E[t]. For Im z > 0 a
        # converged root with Im v > 0 *is* the physical one (uniqueness in the upper half
        # plane), so it is accepted; every other point goes through the continuation.
        v_direct, ok = self._direct(z)
        if ok.all():
            return v_direct
        keep = ~ok
        v_all = v_direct
        z = z[keep]
        v = z + 1j * top - self.active_ratio * mean
        eta = top
        # each point follows z + i eta down to eta ~ 1e-8 |z| (or 1e-3 Im z), then eta = 0
        floor = np.maximum(np.maximum(1e-3 * z.imag, 1e-8 * np.abs(z)), 1e-300)
        while eta > floor.min():
            active = eta >= floor
            if active.any():
                v[active], _ = self._newton(v[active], z[active] + 1j * eta, max_iter=60,
                                            strict=False)
            eta *= 0.2
        # Next to a support edge the root is nearly double and Newton stalls at a residual
        # ~1e-12: the residual test below (not the step size) decides success there.
        v, _ = self._newton(v, z, max_iter=200, strict=False)
        inside, _, _ = self._real_branch(z.real)
        real = z.imag == 0
        v[real & ~inside] = v[real & ~inside].real  # outside the support the root is real
        res = np.abs(self._x(v) - z)
        worst = float(np.max(res)) if res.size else 0.0
        if worst > 1e-9 * (1.0 + self._scale):
            raise ConvergenceError("Silverstein equation: residual too large", residual=worst)
        v_all[keep] = v
        return v_all

    def _newton(self, v, z, max_iter, tol=1e-13, strict=True):
        """Vectorised Newton on ``x(v) = z`` (one target per point).

        Raises ``ConvergenceError`` (with the residual) if some point has not converged, or,
        with ``strict=False``, returns ``(v, converged_mask)`` instead.
        """
        v = v.copy()
        active = np.ones(v.shape, dtype=bool)
        for _ in range(max_iter):
            va, za = v[active], z[active]
            lin, quad = self._x_terms(va)
            res = lin + quad - za
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                step = res / self._dx(va)
            step[~np.isfinite(step)] = 0.0
            # converged: a negligible step, or a residual at the rounding level of x(v)
            rounding = 64 * np.finfo(float).eps * (np.abs(lin) + np.abs(quad) + np.abs(za))
            done = (np.abs(step) <= tol * np.maximum(np.abs(va), 1e-300)) | (
                np.abs(res) <= rounding)
            va = va - np.where(done, 0.0, step)
            v[active] = va
            active[active] = ~done
            if not active.any():
                return v if strict else (v, np.ones(v.shape, dtype=bool))
        if not strict:
            return v, ~active
        res = np.abs(self._x(v[active]) - z[active])
        raise ConvergenceError(f"Silverstein equation: Newton did not converge at {active.sum()} "
                               "points", residual=float(np.max(res)), iterations=max_iter)

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

        from rmtdyn.symbolic.symbols import G, Z

        gam = sp.nsimplify(self.ratio, rational=True)
        s2 = sp.nsimplify(self.variance, rational=True)
        pop = self.population
        c = 1 - gam + gam * Z * G
        rhs = sum(sp.nsimplify(float(w), rational=True)
                  / (Z - c * s2 * sp.nsimplify(float(t), rational=True))
                  for t, w in zip(pop.eigenvalues, pop.weights, strict=False))
        return sp.Poly(sp.numer(sp.together(G - rhs)), G, Z)

    def s_transform(self):
        """``S_A(w) = S_MP(w) S_H(w)``, ``S_MP = 1/(sigma^2 (1 + gamma w))`` (S_H known)."""
        import sympy as sp

        from rmtdyn.symbolic.symbols import W

        gam = sp.nsimplify(self.ratio, rational=True)
        s2 = sp.nsimplify(self.variance, rational=True)
        return sp.simplify(self.population.s_transform() / (s2 * (1 + gam * W)))
