r"""Free additive and multiplicative convolution of Hermitian spectra, by subordination.

For free (e.g. Haar-rotated) ``A`` and ``B`` of laws ``a`` and ``b``:

**Free sum** ``a ⊞ b`` (the law of ``A + O B O^T``). R-transforms add,
``R_{a⊞b} = R_a + R_b`` (``g(R(w) + 1/w) = w``). Numerically we use the
subordination functions (Biane; Belinschi-Bercovici): there are analytic
``omega_a, omega_b`` from the upper half plane to itself with

    g(z) = g_a(omega_a(z)) = g_b(omega_b(z)),    omega_a(z) + omega_b(z) = z + 1/g(z).

With ``h(u) = 1/g(u) - u`` the map ``omega <- z + h_b(z + h_a(omega))`` is the
Belinschi-Bercovici fixed point (a contraction of the upper half plane whose
fixed point is ``omega_a``). We solve the scalar equation

    F(omega) = 1/g_a(omega) - 1/g_b(omega_b),   omega_b = z + 1/g_a(omega) - omega,

(the fixed-point map is exactly ``omega - F(omega)``) by that iteration far from
the axis, then Newton, continued towards the real axis (``rmtdyn.solvers.continuation``).

**Free product** ``a ⊠ b`` of laws on ``[0, inf)`` (the law of
``A^{1/2} O B O^T A^{1/2}``). S-transforms multiply, ``S_{a⊠b} = S_a S_b``
(Voiculescu: ``psi(u) = int l u/(1 - l u) drho``, ``S(w) = psi^{-1}(w)(1 + w)/w``).
Writing ``chi(w) = w g(w) = 1 + psi(1/w)`` and ``eta = 1 - 1/chi`` (the eta-transform
at ``1/w``), multiplicative subordination reads, in the spectral variable,

    chi(w) = chi_a(w_a) = chi_b(w_b),    w_a w_b = w chi(w) / (chi(w) - 1).

With ``T(v) = v (1 - 1/chi(v))`` (that is ``h(zeta) = eta(zeta)/zeta`` at ``zeta = 1/v``)
this is ``w_b = w / T_a(w_a)`` and ``w_a = w / T_b(w_b)``; the Belinschi-Bercovici
iteration ``w_a <- w / T_b(w / T_a(w_a))`` again equals ``w_a - F(w_a)`` for

    F(w_a) = w_a - w / T_b(w / T_a(w_a)),     g(w) = chi_a(w_a) / w.

Both classes are ``Spectrum`` subclasses, so compositions such as
``free_sum(free_product(x, y), z)`` work (the inner law supplies ``g`` and ``g'``).
"""

from __future__ import annotations

import math
import weakref
from functools import cached_property

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.solvers.continuation import solve_by_continuation
from rmtdyn.spectra.affine import AffineSpectrum
from rmtdyn.spectra.base import Spectrum, divide_by_real

__all__ = [
    "FreeSum",
    "FreeProduct",
    "free_sum",
    "free_product",
    "free_cumulants",
    "moments_from_free_cumulants",
    "haar_orthogonal",
    "stieltjes_and_derivative",
    "scan_support",
    "algebraic_support",
]


# --------------------------------------------------------------------------------------
# g and g' of an arbitrary spectrum in the closed upper half plane
# --------------------------------------------------------------------------------------
_EQUATION_DERIVATIVES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _equation_derivatives(spec: Spectrum):
    """Lambdified ``(dP/dg, dP/dz)`` of ``spec.equation()``, cached; ``None`` if not algebraic."""
    try:
        return _EQUATION_DERIVATIVES[spec]
    except KeyError:
        pass
    except TypeError:  # unhashable spectrum
        return None
    funcs = None
    if not isinstance(spec, FreeSum | FreeProduct):
        try:
            import sympy as sp

            from rmtdyn.symbolic.symbols import G, Z

            P = spec.equation().as_expr()
            funcs = (sp.lambdify((G, Z), sp.diff(P, G), "numpy"),
                     sp.lambdify((G, Z), sp.diff(P, Z), "numpy"))
        except NotImplementedError:
            funcs = None
    _EQUATION_DERIVATIVES[spec] = funcs
    return funcs


def _upper(z) -> np.ndarray:
    """Copy of ``z`` with ``Im z`` clamped to ``>= 0`` and no negative zeros (``-0.0`` would
    select the lower branch of the principal square roots in the closed forms)."""
    z = np.asarray(z, dtype=complex)
    out = np.empty(z.shape, dtype=complex)
    out.real = z.real
    out.imag = np.maximum(z.imag, 0.0) + 0.0
    return out


def stieltjes_and_derivative(spec: Spectrum, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(g(z), g'(z))`` of the law ``spec`` for a 1-D complex array ``z`` (any half plane).

    ``Im z < 0`` uses ``g(conj z) = conj g(z)`` (the Stieltjes transform itself, not an
    analytic continuation through the support); real ``z`` means ``z + i0``.
    See ``_stieltjes_and_derivative_closed`` for how ``g'`` is obtained.
    """
    z = np.asarray(z, dtype=complex)
    lower = z.imag < 0
    if not lower.any():
        return _stieltjes_and_derivative_closed(spec, _upper(z))
    g = np.empty(z.shape, dtype=complex)
    dg = np.empty(z.shape, dtype=complex)
    up = ~lower
    if up.any():
        g[up], dg[up] = _stieltjes_and_derivative_closed(spec, _upper(z[up]))
    gl, dgl = _stieltjes_and_derivative_closed(spec, np.conj(z[lower]))
    g[lower], dg[lower] = np.conj(gl), np.conj(dgl)
    return g, dg


def _stieltjes_and_derivative_closed(spec: Spectrum, z: np.ndarray):
    """``(g, g')`` for ``Im z >= 0``.

    Rule: a spectrum's own ``_stieltjes_and_derivative_upper`` if it has one (free sums,
    products, random features); affine maps by the chain rule; algebraic laws by implicit
    differentiation of ``P(g, z) = 0`` (``g' = -P_z/P_g``); otherwise a central difference
    along the real direction (which stays in the closed upper half plane).
    """
    own = getattr(spec, "_stieltjes_and_derivative_upper", None)
    if own is not None:
        return own(z)
    if isinstance(spec, AffineSpectrum):
        c, d = spec.scale, spec.shift
        u = (z - d) / c
        if c > 0:
            g, dg = _stieltjes_and_derivative_closed(spec.base, _upper(u))
            return divide_by_real(g, c), divide_by_real(dg, c**2)
        g, dg = _stieltjes_and_derivative_closed(spec.base, _upper(np.conj(u)))
        return divide_by_real(np.conj(g), c), divide_by_real(np.conj(dg), c**2)
    g = spec._stieltjes_upper(z)
    funcs = _equation_derivatives(spec)
    dg = np.full(z.shape, np.nan + 0j)
    if funcs is not None:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            dg = -np.asarray(funcs[1](g, z), dtype=complex) / np.asarray(funcs[0](g, z),
                                                                          dtype=complex)
        dg = np.broadcast_to(dg, z.shape).copy()
    bad = ~np.isfinite(dg)
    if bad.any():
        zb = z[bad]
        h = 1e-6 * (1.0 + np.abs(zb))
        dg[bad] = (spec._stieltjes_upper(zb + h) - spec._stieltjes_upper(zb - h)) / (2 * h)
    return g, dg


# --------------------------------------------------------------------------------------
# free cumulants
# --------------------------------------------------------------------------------------
def _power_coefficients(m: list[float], n: int) -> list[np.ndarray]:
    """``[M(z)^s truncated at degree n for s = 0..n]`` with ``M(z) = sum_j m_j z^j``."""
    base = np.zeros(n + 1)
    base[: min(len(m), n + 1)] = m[: n + 1]
    powers = [np.zeros(n + 1)]
    powers[0][0] = 1.0
    for _ in range(n):
        powers.append(np.convolve(powers[-1], base)[: n + 1])
    return powers


def moments_from_free_cumulants(kappa: list[float]) -> list[float]:
    r"""Moments ``[m_0 = 1, m_1, ..., m_n]`` from free cumulants ``[k_1, ..., k_n]``.

    Non-crossing partitions, first-block recursion:
    ``m_n = sum_{s=1}^n k_s [z^{n-s}] M(z)^s`` with ``M(z) = sum_j m_j z^j``.
    """
    n = len(kappa)
    m = [1.0]
    for order in range(1, n + 1):
        powers = _power_coefficients(m + [0.0], order)
        m.append(float(sum(kappa[s - 1] * powers[s][order - s] for s in range(1, order + 1))))
    return m


def free_cumulants(moments: list[float]) -> list[float]:
    """Free cumulants ``[k_1, ..., k_n]`` from moments ``[1, m_1, ..., m_n]`` (recursion)."""
    m = [float(x) for x in moments]
    n = len(m) - 1
    kappa: list[float] = []
    for order in range(1, n + 1):
        powers = _power_coefficients(m, order)
        lower = sum(kappa[s - 1] * powers[s][order - s] for s in range(1, order))
        kappa.append(m[order] - lower)  # the s = order term is k_order * m_0^order
    return kappa


def _series_inverse(a: np.ndarray) -> np.ndarray:
    """Compositional inverse of ``f(z) = sum_{k>=1} a_k z^k`` (``a[0]`` ignored, ``a[1] != 0``)."""
    n = len(a) - 1
    b = np.zeros(n + 1)
    b[1] = 1.0 / a[1]
    for order in range(2, n + 1):
        # coefficient of w^order in f(b(w)) with b known to degree order-1 (b_order = 0)
        total, power = 0.0, b.copy()
        for k in range(2, order + 1):
            power = np.convolve(power, b)[: n + 1]
            total += a[k] * power[order]
        b[order] = -total / a[1]
    return b


def product_moments(ma: list[float], mb: list[float]) -> list[float]:
    r"""Moments of ``a ⊠ b`` from those of a and b (``[1, m_1, ..., m_n]``, ``m_1 != 0``).

    ``psi = sum_{k>=1} m_k u^k``, ``chi = psi^{<-1>}``, ``S(w) = chi(w)(1+w)/w``;
    ``S_{ab} = S_a S_b`` gives ``chi_{ab}(w) = chi_a(w) chi_b(w) (1 + w)/w`` and
    ``psi_{ab} = chi_{ab}^{<-1>}`` (power series, exact combinatorics).
    """
    n = len(ma) - 1
    chi_a = _series_inverse(np.asarray(ma, dtype=float))
    chi_b = _series_inverse(np.asarray(mb, dtype=float))
    # chi_a chi_b (1 + w)/w: divide the product (starting at w^2) by w, times (1 + w)
    prod = np.convolve(chi_a, chi_b)[: n + 2]
    shifted = prod[1: n + 2]
    chi_ab = shifted + np.concatenate(([0.0], shifted[:-1]))
    return [1.0] + list(_series_inverse(chi_ab[: n + 1])[1:])


# --------------------------------------------------------------------------------------
# Haar sampling
# --------------------------------------------------------------------------------------
def haar_orthogonal(n: int, rng=None) -> np.ndarray:
    """A Haar ``n x n`` orthogonal matrix: QR of a Gaussian matrix, R's diagonal made positive."""
    n = check.positive_int("n", n)
    q, r = np.linalg.qr(check.rng(rng).standard_normal((n, n)))
    return q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))


def _psd_sqrt(a: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((a + a.T) / 2)
    return (vecs * np.sqrt(np.maximum(vals, 0.0))) @ vecs.T


# --------------------------------------------------------------------------------------
# shared machinery
# --------------------------------------------------------------------------------------
def scan_support(stieltjes_upper, lo: float, hi: float, points: int = 1601,
                 smallest: float = 1e-9) -> tuple:
    """Intervals where ``rho(x) = -Im g(x + i0)/pi`` is positive, inside ``[lo, hi]``.

    Grid scan (``points`` nodes, offset by an irrational fraction of the spacing to avoid atoms
    and 0), then simultaneous bisection of every bracket on ``rho(x) > thr`` with
    ``thr = min(1e-9 max rho, 1e-10/(hi - lo))`` down to brackets of ``1e-7 (hi - lo)``;
    for laws starting at ``lo = 0`` 400 geometric points from ``smallest * hi`` are added,
    and a hard edge at 0 is decided at ``1e-8 hi``; then each square-root edge is the root
    of a quadratic fitted to ``rho^2`` at three points inside (``rho^2`` vanishes linearly at
    such an edge), and any other edge is
    bisected down to ``1e-13 max(1, |lo|, |hi|)``. Gaps narrower than the grid spacing
    ``(hi - lo)/points`` can be missed.
    """
    width = hi - lo
    if not width > 0:
        return ()
    floor_edge = None
    if lo == 0.0:
        # laws on [0, inf): a hard edge at 0 (density ~ 1/sqrt(x)) is decided at x = 1e-8 hi
        # instead of bisecting into the pole of the atom at 0 that often sits there
        tiny = np.array([1e-8 * hi], dtype=complex)
        if -stieltjes_upper(tiny).imag[0] / np.pi > 1e-6 / width:  # far above round-off
            floor_edge = 0.0
    grid = lo + width * (np.arange(points) + 0.5 + 0.1 * (math.sqrt(2) - 1)) / points
    if lo == 0.0:
        # laws on [0, inf): small clusters near 0 (e.g. a smeared rank deficiency) need a
        # geometric grid down to 1e-9 hi as well
        grid = np.union1d(grid, np.geomspace(smallest * hi, grid[0], 400, endpoint=False))
    rho = -stieltjes_upper(grid.astype(complex)).imag / np.pi
    thr = min(1e-9 * max(float(np.max(rho)), 1e-300), 1e-10 / width)
    pos = rho > thr
    if not pos.any():
        return ()
    outer_left = np.concatenate(([lo - 1e-3 * width], grid))
    outer_right = np.concatenate((grid, [hi + 1e-3 * width]))
    state = np.concatenate(([False], pos, [False]))
    change = np.flatnonzero(state[1:] != state[:-1])
    a, b = outer_left[change].copy(), outer_right[change].copy()
    lower_edge = state[change + 1]  # True: a outside, b inside (a lower edge)
    if floor_edge is not None and lower_edge[0] and a[0] < lo:
        a[0] = b[0] = lo  # the first edge is 0: no bisection
    # 1) bisection down to brackets of 1e-7 (hi - lo)
    def bisect(a, b, stop):
        for _ in range(80):
            if np.all(np.abs(b - a) <= stop):
                break
            mid = 0.5 * (a + b)
            inside = -stieltjes_upper(mid.astype(complex)).imag / np.pi > thr
            move_b = np.where(lower_edge, inside, ~inside)
            b = np.where(move_b, mid, b)
            a = np.where(move_b, a, mid)
        return a, b

    a, b = bisect(a, b, 1e-7 * width)
    # 2) square-root edges: rho^2 is smooth and vanishes linearly there. A quadratic through
    #    rho^2 at x, x + s h, x + 2 s h (x the bracket end inside the support, s pointing
    #    into the support, h = 2e-7 (hi - lo)) has
    #    its root at the edge up to O(h^3); the edge solver's ~sqrt(eps) accuracy at the
    #    edge itself never enters. Kept only if the root falls in the bracket [a, b].
    h = 2e-7 * width
    sgn = np.where(lower_edge, 1.0, -1.0)
    inner = np.where(lower_edge, b, a)  # the bracket end inside the support
    xs = inner[:, None] + sgn[:, None] * h * np.arange(3)[None, :]
    rho2 = (stieltjes_upper(xs.ravel().astype(complex)).imag.reshape(xs.shape) / np.pi) ** 2
    fitted = np.full(a.shape, np.nan)
    for i in range(len(a)):
        if not np.all(np.isfinite(rho2[i])):  # e.g. the pole of a hard edge at 0
            continue
        coef = np.polyfit(xs[i] - inner[i], rho2[i], 2)
        roots = np.roots(coef)
        roots = roots[np.abs(roots.imag) <= 1e-12 * h].real + inner[i]
        lo_i, hi_i = min(a[i], b[i]), max(a[i], b[i])
        pad = 1e-3 * abs(b[i] - a[i])
        good = roots[(roots >= lo_i - pad) & (roots <= hi_i + pad)]
        if good.size == 1 and np.all(rho2[i] > 0):
            fitted[i] = good[0]
    # 3) edges where the fit does not apply (hard edges, ...): bisection to 1e-13
    rest = np.isnan(fitted)
    if rest.any():
        lower_all = lower_edge
        lower_edge = lower_all[rest]
        ra, rb = bisect(a[rest], b[rest], 1e-13 * max(1.0, abs(lo), abs(hi)))
        lower_edge = lower_all
        fitted[rest] = 0.5 * (ra + rb)
    a = b = fitted
    edges = 0.5 * (a + b)
    if floor_edge is not None and edges[0] <= lo + width / points:
        edges[0] = floor_edge
    return tuple((float(edges[i]), float(edges[i + 1])) for i in range(0, len(edges), 2))


def algebraic_support(fast, stieltjes_upper) -> tuple | None:
    """Support intervals of an algebraic law from the real zeros of the discriminant.

    Every edge is a real zero of ``disc_g P(g, z)`` (``rmtdyn.symbolic.support``, found to
    ~1e-15 relative at 60 digits), so the support is a union of intervals between
    consecutive zeros: those on which the density at the midpoint is positive, judged
    relative to the continuous part, ``-Im g > 1e-9 |g - sum_j m_j/(x - x_j)|`` (so a bulk
    of tiny mass next to a heavy atom, or 1e-8 of the scale away from 0, is found).
    ``fast`` is the law's ``AlgebraicRoots``; ``None`` if it has no exact equation.
    """
    from rmtdyn.symbolic.support import merge_intervals, support_edges_from_equation

    if fast is None or fast._poly is None:
        return None
    try:
        edges = np.asarray(support_edges_from_equation(fast._poly), dtype=float)
    except (ValueError, NotImplementedError):
        return None
    if edges.size < 2:
        return ()
    mids = 0.5 * (edges[:-1] + edges[1:])
    g = np.asarray(stieltjes_upper(mids.astype(complex)))
    cont = g.copy()
    for loc, mass in zip(fast.atom_loc, fast.atom_mass, strict=True):
        cont -= mass / (mids - loc)
    if not np.all(np.isfinite(g)):
        return None
    return merge_intervals(edges, -g.imag > 1e-9 * np.abs(cont))


def algebraic_roots_or_none(spec: Spectrum, hull: tuple[float, float]):
    """``AlgebraicRoots(spec.equation(), hull)`` or ``None`` when ``spec`` is not algebraic.

    ``hull = (lo, hi)`` must contain the support and the atoms of ``spec``."""
    from rmtdyn.spectra.algebraic_roots import AlgebraicRoots

    try:
        poly = spec.equation()
    except NotImplementedError:
        return None
    return AlgebraicRoots(poly, hull, spec.atoms())


def _extent(spec: Spectrum) -> tuple[float, float]:
    """Smallest interval holding the support and the atoms."""
    points = [x for ab in spec.support() for x in ab] + [loc for loc, _ in spec.atoms()]
    return min(points), max(points)


class _FreeConvolution(Spectrum):
    """Common code: real-axis support search, moments, repr."""

    _symbol = "?"

    def __init__(self, a: Spectrum, b: Spectrum):
        for name, s in (("a", a), ("b", b)):
            if not isinstance(s, Spectrum) or not getattr(s, "hermitian", True):
                raise TypeError(f"{name} must be a Hermitian rmtdyn Spectrum, "
                                f"got {type(s).__name__}")
        self.a, self.b = a, b
        #: last (points, solutions): warm starts for the next call (see solve_by_continuation)
        self._warm = None

    def __repr__(self) -> str:
        return f"({self.a!r} {self._symbol} {self.b!r})"

    # subclass: self._bounds (lo, hi), self._eta_start, self._solve(z) -> (g, dg)
    def _stieltjes_upper(self, z):
        return self._stieltjes_and_derivative_upper(z, derivative=False)[0]

    #: use the algebraic fast path (``rmtdyn.spectra.algebraic_roots``) when both operands
    #: have ``equation()``; points where its branch rule is ambiguous use the subordination
    #: solver. Set to ``False`` (on an instance) to force the subordination solver everywhere.
    fast_path: bool = True

    @cached_property
    def _fast_roots(self):
        """``AlgebraicRoots`` of ``self.equation()``, or ``None`` if not algebraic."""
        return algebraic_roots_or_none(self, self._bounds)

    def _stieltjes_and_derivative_upper(self, z, derivative: bool = True):
        z = np.ravel(z)
        if z.size == 0:
            return z.copy(), z.copy()
        fast = self._fast_roots if self.fast_path else None
        if fast is None:
            return self._solve(z)
        return fast.stieltjes_with_fallback(self._solve, z, derivative)

    @cached_property
    def _support(self):
        found = algebraic_support(self._fast_roots, self._stieltjes_upper)
        return found if found is not None else scan_support(self._stieltjes_upper,
                                                             *self._bounds)

    def support(self):
        """All intervals of the absolutely continuous part.

        Algebraic operands: between consecutive real zeros of the discriminant of
        ``equation()`` where the density is positive (``algebraic_support``; edges to
        ~1e-15 relative, every component found). Otherwise a grid scan of the density on
        the hull of the supports (1601 points, so gaps narrower than ~1/1600 of the hull may
        be missed) and bisection on ``rho(x) > 1e-9 max rho`` (edges to ~1e-13).
        """
        return self._support

    def moment(self, k):
        """Exact moment from the operands' moments (free cumulants or S-transform series)."""
        k = check.positive_int("k", k, minimum=0)
        cache = self.__dict__.setdefault("_moment_cache", [])
        if len(cache) <= k:
            n = max(k, 8)
            ma = [1.0] + [float(self.a.moment(j)) for j in range(1, n + 1)]
            mb = [1.0] + [float(self.b.moment(j)) for j in range(1, n + 1)]
            cache[:] = self._combine_moments(ma, mb)
        return float(cache[k])


# --------------------------------------------------------------------------------------
# free sum
# --------------------------------------------------------------------------------------
class FreeSum(_FreeConvolution):
    r"""The free additive convolution ``a ⊞ b``: limiting law of ``A + O B O^T`` (O Haar).

    ``R_{a⊞b}(w) = R_a(w) + R_b(w)``; free cumulants add. ``g`` is computed by the
    subordination equations in the module docstring (Belinschi-Bercovici fixed point far
    from the axis, Newton, continuation in ``Im z`` down to the real axis). Atoms:
    ``(x + y, m_a(x) + m_b(y) - 1)`` whenever that mass is positive (Bercovici-Voiculescu).
    """

    _symbol = "⊞"

    def __init__(self, a: Spectrum, b: Spectrum):
        super().__init__(a, b)
        la, ha = _extent(a)
        lb, hb = _extent(b)
        self._bounds = (la + lb, ha + hb)
        scale = max(ha - la, hb - lb, 1e-3 * (1.0 + abs(la) + abs(lb) + abs(ha) + abs(hb)))
        self._eta_start = scale
        self._mean_b = float(b.moment(1))

    def _residual(self, omega, z):
        ga, dga = stieltjes_and_derivative(self.a, omega)
        omega_b = z + 1.0 / ga - omega
        gb, dgb = stieltjes_and_derivative(self.b, omega_b)
        f = 1.0 / ga - 1.0 / gb
        dob = -dga / ga**2 - 1.0
        df = -dga / ga**2 + dgb / gb**2 * dob
        return f, df

    def _fixed_point(self, omega, z):
        ga, _ = stieltjes_and_derivative(self.a, omega)
        omega_b = z + 1.0 / ga - omega
        gb, _ = stieltjes_and_derivative(self.b, omega_b)
        return z + 1.0 / gb - omega_b

    def _valid(self, omega, z):
        ga, _ = stieltjes_and_derivative(self.a, omega)
        omega_b = z + 1.0 / ga - omega
        tol = 1e-9 * (1.0 + np.abs(z))
        return (omega.imag >= -tol) & (omega_b.imag >= -tol) & np.isfinite(omega_b)

    def _solve(self, z):
        omega = solve_by_continuation(
            self._residual, z, lambda zs: zs - self._mean_b, eta_start=self._eta_start,
            fixed_point=self._fixed_point, valid=self._valid, name="free_sum subordination",
            warm=self._warm)
        self._warm = (z.copy(), omega.copy())
        # g' = g_a'(omega) omega'(z), omega' = -F_z/F_omega by implicit differentiation
        ga, dga = stieltjes_and_derivative(self.a, omega)
        omega_b = z + 1.0 / ga - omega
        gb, dgb = stieltjes_and_derivative(self.b, omega_b)
        df = -dga / ga**2 - dgb / gb**2 * (dga / ga**2 + 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            domega = -(dgb / gb**2) / df
        return ga, dga * domega

    def subordination(self, z) -> tuple[np.ndarray, np.ndarray]:
        """``(omega_a(z), omega_b(z))``, ``g(z) = g_a(omega_a) = g_b(omega_b)`` (Im z >= 0)."""
        z = check.complex_array("z", z)
        flat = z.ravel()
        flat = flat.real + 1j * np.abs(flat.imag)
        omega = solve_by_continuation(
            self._residual, flat, lambda zs: zs - self._mean_b, eta_start=self._eta_start,
            fixed_point=self._fixed_point, valid=self._valid, name="free_sum subordination")
        ga, _ = stieltjes_and_derivative(self.a, omega)
        return omega.reshape(z.shape), (flat + 1.0 / ga - omega).reshape(z.shape)

    def atoms(self):
        out = {}
        for x, mx in self.a.atoms():
            for y, my in self.b.atoms():
                if mx + my - 1.0 > 1e-14:
                    out[x + y] = out.get(x + y, 0.0) + mx + my - 1.0
        return tuple(sorted(out.items()))

    def _combine_moments(self, ma, mb):
        ka, kb = free_cumulants(ma), free_cumulants(mb)
        return moments_from_free_cumulants([x + y for x, y in zip(ka, kb, strict=True)])

    def sample(self, n, rng=None):
        """``A + O B O^T`` with independent samples A, B and O Haar orthogonal."""
        n = self._check_sample_size(n)
        rng = check.rng(rng)
        a, b = self.a.sample(n, rng), self.b.sample(n, rng)
        o = haar_orthogonal(n, rng)
        return a + o @ b @ o.T

    def equation(self):
        """``P(g, z)`` of the sum from the operands' equations (``rmtdyn.symbolic.algebra``)."""
        from rmtdyn.symbolic.algebra import free_sum_equation

        return free_sum_equation(self.a.equation(), self.b.equation())

    def _high_precision_equation(self, dps):
        from rmtdyn.symbolic.algebra import free_sum_equation

        return free_sum_equation(self.a.high_precision_equation(dps),
                                 self.b.high_precision_equation(dps))

    def r_transform(self):
        import sympy as sp

        return sp.simplify(self.a.r_transform() + self.b.r_transform())


# --------------------------------------------------------------------------------------
# free product
# --------------------------------------------------------------------------------------
def _t_transform(spec: Spectrum, v: np.ndarray):
    """``(T, T', chi, chi')`` with ``T(v) = v (1 - 1/chi(v))``, ``chi(v) = v g(v)``."""
    g, dg = stieltjes_and_derivative(spec, v)
    chi = v * g
    dchi = g + v * dg
    t = v - v / chi
    dt = 1.0 - 1.0 / chi + v * dchi / chi**2
    return t, dt, chi, dchi


class FreeProduct(_FreeConvolution):
    r"""The free multiplicative convolution ``a ⊠ b`` of laws on ``[0, inf)``.

    Limiting law of ``A^{1/2} O B O^T A^{1/2}`` (O Haar); ``S_{a⊠b} = S_a S_b``.
    ``g`` solves the multiplicative subordination equations of the module docstring.
    Atoms: at 0 with mass ``max(m_a(0), m_b(0))``; at ``x y != 0`` with mass
    ``m_a(x) + m_b(y) - 1`` when positive (Bercovici-Voiculescu). Near 0, with
    ``floor = 1e-9 * scale`` (``scale`` = the start height of the continuation): with an atom
    of mass ``m0`` at 0, ``|z| < floor`` returns the pole ``m0/z`` (``z = 0``: at ``-floor``);
    without, ``0 < |z| < 1e-15 * scale`` is evaluated at ``|z| = 1e-15 * scale`` in the same
    direction and ``z = 0`` at ``-floor``.
    """

    _symbol = "⊠"

    def __init__(self, a: Spectrum, b: Spectrum):
        super().__init__(a, b)
        for name, s in (("a", a), ("b", b)):
            if not s.is_positive():
                raise ValueError(f"free_product needs laws on [0, inf): {name} = {s!r} has "
                                 f"mass below 0")
        la, ha = _extent(a)
        lb, hb = _extent(b)
        self._bounds = (la * lb, ha * hb)
        self._mean_a = float(a.moment(1))
        self._mean_b = float(b.moment(1))
        if self._mean_a <= 0 or self._mean_b <= 0:
            raise ValueError("free_product needs laws with a positive mean (not a point mass at 0)")
        # start height: the spread of the law (sqrt of its second moment), not the top of the
        # hull, which can be far out when big atoms at 0 carry most of the mass
        self._eta_start = max(min(ha * hb, 4.0 * math.sqrt(max(self.moment(2), 0.0))), 1e-300)
        self._atom_at_zero = any(loc == 0.0 for loc, _ in self.atoms())

    def _residual(self, u, w):
        ta, dta, _, _ = _t_transform(self.a, u)
        wb = w / ta
        tb, dtb, _, _ = _t_transform(self.b, wb)
        f = u - w / tb
        dwb = -w * dta / ta**2
        df = 1.0 + w * dtb / tb**2 * dwb
        return f, df

    def _fixed_point(self, u, w):
        ta, _, _, _ = _t_transform(self.a, u)
        tb, _, _, _ = _t_transform(self.b, w / ta)
        return w / tb

    def _valid(self, u, w):
        ta, _, _, _ = _t_transform(self.a, u)
        wb = w / ta
        return (u.imag >= -1e-9 * np.abs(u)) & (wb.imag >= -1e-9 * np.abs(wb)) & np.isfinite(wb)

    def _solve(self, w):
        # Within floor = 1e-9 * scale of 0 the subordination equations are ill-conditioned.
        # With an atom of mass m0 at 0 we return its pole, g = m0/w (the continuous part adds
        # O(1) against m0/w >= m0/floor). Without, w is moved out radially to |w| = floor
        # (w = 0 to -floor).
        floor = 1e-9 * self._eta_start
        size = np.abs(w)
        tiny = size < floor
        if tiny.any() and self._atom_at_zero:
            m0 = dict(self.atoms())[0.0]
            g = np.empty(w.shape, dtype=complex)
            dg = np.empty(w.shape, dtype=complex)
            wt = np.where(size[tiny] == 0, -floor + 0j, w[tiny])
            g[tiny], dg[tiny] = m0 / wt, -m0 / wt**2
            if (~tiny).any():
                g[~tiny], dg[~tiny] = self._solve(w[~tiny])
            return g, dg
        small = size < 1e-6 * floor  # 1e-15 * scale
        w = np.where(small, w * 1e-6 * floor / np.maximum(size, 1e-300), w)
        w = np.where(size == 0, -floor + 0j, w)
        u = solve_by_continuation(
            self._residual, w, lambda ws: ws / self._mean_b, eta_start=self._eta_start,
            fixed_point=self._fixed_point, valid=self._valid, name="free_product subordination",
            warm=self._warm)
        self._warm = (w.copy(), u.copy())
        # g' = (chi_a'(u) u'(w) - chi_a/w)/w, u' = -F_w/F_u by implicit differentiation
        ta, dta, chi, dchi = _t_transform(self.a, u)
        wb = w / ta
        tb, dtb, _, _ = _t_transform(self.b, wb)
        df = 1.0 - w * dtb / tb**2 * w * dta / ta**2
        fw = -1.0 / tb + w * dtb / tb**2 / ta
        with np.errstate(divide="ignore", invalid="ignore"):
            du = -fw / df
        g = chi / w
        dg = dchi * du / w - chi / w**2
        return g, dg

    def atoms(self):
        a_atoms, b_atoms = dict(self.a.atoms()), dict(self.b.atoms())
        out = {}
        zero = max(a_atoms.get(0.0, 0.0), b_atoms.get(0.0, 0.0))
        if zero > 0:
            out[0.0] = zero
        for x, mx in a_atoms.items():
            for y, my in b_atoms.items():
                if x != 0 and y != 0 and mx + my - 1.0 > 1e-14:
                    out[x * y] = out.get(x * y, 0.0) + mx + my - 1.0
        return tuple(sorted(out.items()))

    def _combine_moments(self, ma, mb):
        return product_moments(ma, mb)

    def sample(self, n, rng=None):
        """``A^{1/2} O B O^T A^{1/2}`` with independent samples A, B and O Haar orthogonal."""
        n = self._check_sample_size(n)
        rng = check.rng(rng)
        root = _psd_sqrt(self.a.sample(n, rng))
        b = self.b.sample(n, rng)
        o = haar_orthogonal(n, rng)
        out = root @ (o @ b @ o.T) @ root
        return (out + out.T) / 2

    def equation(self):
        """``P(g, z)`` of the product from the operands' equations (``rmtdyn.symbolic.algebra``)."""
        from rmtdyn.symbolic.algebra import free_product_equation

        return free_product_equation(self.a.equation(), self.b.equation())

    def _high_precision_equation(self, dps):
        from rmtdyn.symbolic.algebra import free_product_equation

        return free_product_equation(self.a.high_precision_equation(dps),
                                     self.b.high_precision_equation(dps))

    def s_transform(self):
        import sympy as sp

        return sp.simplify(self.a.s_transform() * self.b.s_transform())


def free_sum(a: Spectrum, b: Spectrum) -> FreeSum:
    """The free sum ``a ⊞ b`` (law of ``A + O B O^T``, O Haar) of two Hermitian spectra."""
    return FreeSum(a, b)


def free_product(a: Spectrum, b: Spectrum) -> FreeProduct:
    """The free product ``a ⊠ b`` (law of ``A^{1/2} O B O^T A^{1/2}``) of two laws on ``[0, inf)``.

    Raises ``ValueError`` if either law has mass below 0 (``spec.is_positive()`` is False).
    """
    return FreeProduct(a, b)
