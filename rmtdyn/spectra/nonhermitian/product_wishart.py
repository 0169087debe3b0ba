r"""Products of two independent Wisharts: the non-normal matrix of random-feature gradient flow.

``A = W1 W2`` with ``W_i = X_i^T X_i / P_i``, ``X_i`` a ``P_i x N`` matrix of iid N(0, 1),
``ratio_i = gamma_i = N / P_i``. ``A`` is not normal but its eigenvalues are real and
non-negative (they are those of the symmetric ``W2^{1/2} W1 W2^{1/2}``): the eigenvalue law is
the free multiplicative convolution ``MP(gamma1) [x] MP(gamma2)``, with an atom of mass
``1 - 1/max(gamma1, gamma2)`` at 0 when a ratio exceeds 1.

Laplace-side objects (``s`` complex, off ``(-inf, 0]``; all vectorised, any shape):

* ``laplace_response(s) = H(s) = lim (1/N) tr (s + A)^{-1} = -g(-s)`` (the cubic of
  ``rmtdyn.spectra.nonhermitian.product_cubic``; paper-notes section 3.4).
* ``two_point_laplace(s1, s2) = Q(s1, s2) = lim (1/N) tr[(s1 + A)^{-T} (s2 + A)^{-1}]``
  (paper-notes section 3.7):

      Q = m0 / (1 - gamma1 [1 - s1 H1 - s2 H2 + s1 s2 m0]),
      m0 = (c1 H1 - c2 H2) / (c1 s2 - c2 s1),   c_i = 1 - gamma1 (1 - s_i H_i),

  and on the diagonal ``m0(s, s) = -(c H)'/(c - c' s)`` with ``H'`` from the cubic.
  ``Q(s1, s2) = T(-s2, -s1)`` in the convention ``T(z, w) = (1/N) tr[(z - A)^{-1}(w - A^T)^{-1}]``.
* ``weighted_response_laplace(s) = h(s) = lim (1/N) tr[W2 (s + A)^{-1}] = (1 - s H)/c``
  (conditionally on ``W2``, ``(s + W2^{1/2} W1 W2^{1/2})^{-1} ~ (c W2 + s)^{-1}``), and
  ``weighted_two_point_laplace(s1, s2) = lim (1/N) tr[(s1 + A)^{-T} W2 (s2 + A)^{-1}]
  = (h(s1) - h(s2))/(s2 - s1)`` (because ``(s + A^T)^{-1} W2 = W2 (s + A)^{-1}``, the product
  is ``W2 (s1 + A)^{-1}(s2 + A)^{-1}``; then the resolvent identity), diagonal ``-h'(s)``.

Time-side objects: ``isotropic_loss(t) = (1/N) E|e^{-tA} theta0|^2`` (double inverse Laplace
transform of ``Q`` on the diagonal) and ``weighted_loss(t) = (1/N) E theta(t)^T W2 theta(t)
= (1/N) tr[W2 e^{-2 t A}]`` (one-variable inverse of ``h`` at ``2t``), which are the test and
train losses of random-feature gradient flow (``RandomFeatureGradientFlowMatrix``).
"""

from __future__ import annotations

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.spectra.base import Spectrum
from rmtdyn.spectra.nonhermitian.base import (
    NonHermitianEnsemble,
    broadcast_pair,
    haar_orthogonal,
)
from rmtdyn.spectra.nonhermitian.product_cubic import ProductCubic

#: below this |s1 - s2| / (1 + |s1|) the two-point functions use the analytic diagonal limit
#: at the midpoint (error O(|s1 - s2|^2) ~ 1e-12; the divided difference would lose ~1e-11)
DIAGONAL_GAP = 1e-6


class ProductWishart(NonHermitianEnsemble):
    """Limit of ``A = (X1^T X1 / P1)(X2^T X2 / P2)`` (``N x N``), ratios ``N/P1`` and ``N/P2``.

    The spectrum is real and non-negative, so besides the non-Hermitian interface this class
    answers the real-axis questions of a Hermitian ``Spectrum`` (``stieltjes``, ``density``,
    ``support``, ``atoms``, ``moment``, ``response``) by delegating to ``hermitian_companion()``,
    the law of ``O diag(lambda) O^T`` with the same eigenvalues.
    ``eigenvalue_density`` is therefore a measure on the real line: it returns the real-axis
    density (with respect to ``d(Re z)``) at real ``z`` and 0 off the real axis.

    Parameters
    ----------
    ratio1, ratio2 : float
        ``gamma_i = N/P_i > 0`` (dimension over samples).
    """

    real_spectrum = True

    def __init__(self, ratio1: float, ratio2: float):
        self.ratio1 = check.positive("ratio1", ratio1)
        self.ratio2 = check.positive("ratio2", ratio2)
        self.cubic = ProductCubic(self.ratio1, self.ratio2)
        self._companion = ProductWishartSpectrum(self.cubic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ratio1={self.ratio1!r}, ratio2={self.ratio2!r})"

    # ------------------------------------------------------------ sampling
    def sample_factors(self, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """The two Wisharts ``(W1, W2)`` of one draw (``P_i = round(n / ratio_i)``)."""
        n = self._check_sample_size(n)
        gen = check.rng(rng)
        out = []
        for ratio in (self.ratio1, self.ratio2):
            p = max(1, round(n / ratio))
            x = gen.standard_normal((p, n))
            out.append(x.T @ x / p)
        return out[0], out[1]

    def sample(self, n: int, rng=None) -> np.ndarray:
        """One ``n x n`` product ``W1 @ W2``."""
        w1, w2 = self.sample_factors(n, rng)
        return w1 @ w2

    # --------------------------------------------------- real-axis spectrum
    def hermitian_companion(self) -> Spectrum:
        """The Hermitian law ``O diag(lambda) O^T`` (O Haar) with the same eigenvalue law."""
        return self._companion

    def stieltjes(self, z) -> np.ndarray:
        """``g(z) = int rho(l)/(z - l) dl`` (real ``z``: limit from above)."""
        return self._companion.stieltjes(z)

    def density(self, x) -> np.ndarray:
        """Real-axis density of the absolutely continuous part (atom at 0 excluded)."""
        return self._companion.density(x)

    def support(self):
        return self._companion.support()

    def atoms(self):
        return self._companion.atoms()

    def moment(self, k: int) -> float:
        return self._companion.moment(k)

    def response(self, t) -> np.ndarray:
        """``R(t) = (1/N) tr e^{-tA} = int rho e^{-l t}`` (the same for A and its companion)."""
        return self._companion.response(t)

    def eigenvalue_density(self, z) -> np.ndarray:
        """Real-axis density at real ``z`` (the law lives on the real line; 0 where
        ``Im z != 0``)."""
        z = check.complex_array("z", z)
        out = np.zeros(z.shape)
        real = z.imag == 0
        if real.any():
            out[real] = self._companion.density(z.real[real])
        return out

    def support_boundary(self, n: int = 400) -> np.ndarray:
        """The support as a curve: ``n`` points along the real segment(s) (plus the atom at 0)."""
        n = check.positive_int("n", n, minimum=2)
        pieces = [np.linspace(a, b, n) for a, b in self.support()]
        if self.atoms():
            pieces.insert(0, np.zeros(1))
        return np.concatenate(pieces).astype(complex)

    def lowest_eigenvalue(self) -> float:
        """The lowest point of the limiting spectrum (0 with an atom or a hard edge)."""
        if self.atoms():
            return 0.0
        return float(self.support()[0][0])

    # ---------------------------------------------------- Laplace-side objects
    def laplace_response(self, s) -> np.ndarray:
        """``H(s) = lim (1/N) tr (s + A)^{-1} = -g(-s)``, any shape; on the cut: ``H(x + i0)``.

        Raises ``ValueError`` at ``s = 0`` when the law has an atom at 0 (``H`` has a pole).
        """
        s = check.complex_array("s", s)
        self._check_not_zero(s, "s")
        return self.cubic.solve(s)

    def _check_not_zero(self, s, name):
        if self.atoms() and np.any(s == 0):
            raise ValueError(f"{name} = 0 is a pole (atom at 0 of mass {self.atoms()[0][1]:.6g})")

    def _h_and_c(self, s):
        h = self.cubic.solve(s)
        c = 1.0 - self.ratio1 * (1.0 - s * h)
        return h, c

    def two_point_laplace(self, s1, s2) -> np.ndarray:
        """``Q(s1, s2) = lim (1/N) tr[(s1 + A)^{-T}(s2 + A)^{-1}]`` (paper-notes section 3.7).

        ``s1`` and ``s2`` broadcast; ``H`` is solved once per distinct input array (so a grid
        ``s1[:, None], s2[None, :]`` costs ``len(s1) + len(s2)`` cubic solves). At (near) equal
        arguments the analytic diagonal limit is used. Symmetric: ``Q(s1, s2) = Q(s2, s1)``.

        ``Q`` is also symmetric under ``ratio1 <-> ratio2`` (swapping the factors transposes A,
        which swaps ``s1`` and ``s2``), so the formula is evaluated with ``gamma1`` replaced by
        ``min(ratio1, ratio2)``: then ``c(0) = 1 - min/max > 0`` and ``m0`` has no cancellation
        near ``s = 0`` (with ``gamma1 > 1 > gamma2`` literally, ``c(0) = 0`` and the divided
        difference loses ~1e-7 at ``t ~ 1e3``).
        """
        s1, s2 = self._pair(s1, s2)
        gam = min(self.ratio1, self.ratio2)
        h1, h2 = self.cubic.solve(s1, s2)
        c1 = 1.0 - gam * (1.0 - s1 * h1)
        c2 = 1.0 - gam * (1.0 - s2 * h2)
        s1, s2, h1, h2, c1, c2 = (np.array(x) for x in np.broadcast_arrays(s1, s2, h1, h2, c1, c2))
        with np.errstate(divide="ignore", invalid="ignore"):
            m0 = np.atleast_1d(np.array((c1 * h1 - c2 * h2) / (c1 * s2 - c2 * s1)))
        near = np.atleast_1d(np.abs(s1 - s2) <= DIAGONAL_GAP * (1.0 + np.abs(s1)))
        if near.any():
            a1, a2, hh = np.atleast_1d(s1)[near], np.atleast_1d(s2)[near], np.atleast_1d(h1)[near]
            sm = 0.5 * (a1 + a2)
            exact = a1 == a2
            h = np.where(exact, hh, 0.0)
            if not exact.all():
                h[~exact] = self.cubic.solve(sm[~exact])
            c = 1.0 - gam * (1.0 - sm * h)
            dh = self.cubic.derivative(h, sm)
            dc = gam * (h + sm * dh)
            m0[near] = -(dc * h + c * dh) / (c - dc * sm)
        m0 = m0.reshape(s1.shape)
        return m0 / (1.0 - gam * (1.0 - s1 * h1 - s2 * h2 + s1 * s2 * m0))

    def _pair(self, s1, s2):
        s1, s2 = (check.complex_array("s1", s1), check.complex_array("s2", s2))
        try:
            np.broadcast_shapes(s1.shape, s2.shape)
        except ValueError as exc:
            raise ValueError(f"s1 and s2 must have broadcastable shapes, got {s1.shape} and "
                             f"{s2.shape}") from exc
        self._check_not_zero(s1, "s1")
        self._check_not_zero(s2, "s2")
        return s1, s2

    def weighted_response_laplace(self, s) -> np.ndarray:
        """``h(s) = lim (1/N) tr[W2 (s + A)^{-1}] = (1 - s H)/c``, ``c = 1 - ratio1 (1 - s H)``."""
        s = check.complex_array("s", s)
        self._check_not_zero(s, "s")
        h, c = self._h_and_c(s)
        return (1.0 - s * h) / c

    def _weighted_derivative(self, s):
        h, c = self._h_and_c(s)
        dh = self.cubic.derivative(h, s)
        dc = self.ratio1 * (h + s * dh)
        return (-(h + s * dh) * c - (1.0 - s * h) * dc) / (c * c)

    def weighted_two_point_laplace(self, s1, s2) -> np.ndarray:
        """``lim (1/N) tr[(s1 + A)^{-T} W2 (s2 + A)^{-1}] = (h(s1) - h(s2))/(s2 - s1)``;
        diagonal ``-h'(s)``."""
        s1, s2 = self._pair(s1, s2)
        f1 = self.weighted_response_laplace(s1)
        f2 = self.weighted_response_laplace(s2)
        s1, s2, f1, f2 = (np.array(x) for x in np.broadcast_arrays(s1, s2, f1, f2))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.atleast_1d(np.array((f1 - f2) / (s2 - s1)))
        near = np.atleast_1d(np.abs(s1 - s2) <= DIAGONAL_GAP * (1.0 + np.abs(s1)))
        if near.any():
            mid = 0.5 * (np.atleast_1d(s1)[near] + np.atleast_1d(s2)[near])
            out[near] = -self._weighted_derivative(mid)
        return out.reshape(s1.shape)

    def two_point(self, z, w) -> np.ndarray:
        """``T(z, w) = lim (1/N) tr[(z - A)^{-1}(w - A^T)^{-1}] = Q(-w, -z)``, off the real
        support (ValueError on it)."""
        z, w = broadcast_pair("z", z, "w", w)
        self._check_outside(z, "z")
        self._check_outside(w, "w")
        return self.two_point_laplace(-w, -z)

    def _check_outside(self, z, name):
        on_axis = z.imag == 0
        inside = np.zeros(z.shape, dtype=bool)
        for a, b in self.support():
            inside |= on_axis & (z.real >= a) & (z.real <= b)
        if self.atoms():
            inside |= z == 0
        if inside.any():
            raise ValueError(f"{name} must lie off the spectrum {self.support()} (and off the "
                             "atom at 0): the two-point function has a cut there")

    # ---------------------------------------------------------- time side
    def isotropic_loss(self, t, *, nodes: int = 16, error: bool = False):
        """``L(t) = lim (1/N) E|e^{-tA} theta0|^2 = (1/N) tr e^{-tA} e^{-tA^T}``, any shape.

        Double inverse Laplace transform of ``Q`` on the diagonal (tensor fixed Talbot with
        ``shift = -lowest eigenvalue``, ``rmtdyn.laplace.two_dimensional``); ``L(0) = 1``.
        Accuracy (measured in the tests): ~1e-11 at ``t <= 3`` against a circle contour, and
        within 1e-8 (relative to ``max(1, L)``) of the ``M = 14, 15`` rules up to ``t = 1000``
        for ratios in [0.05, 8]. With ``error=True`` also returns the (pessimistic) estimate
        ``|L_M - L_{M-2}| + round-off``.
        """
        from rmtdyn.laplace.two_dimensional import invert_laplace_diagonal

        t = check.times("t", t)
        result = invert_laplace_diagonal(self.two_point_laplace, t, nodes=nodes,
                                         shift=-self.lowest_eigenvalue(), error=error)
        return self._at_zero(t, result, 1.0, error)

    @staticmethod
    def _at_zero(t, result, value, error):
        if error:
            vals, errs = result
            vals = np.where(t == 0, value, vals)
            return vals, np.where(t == 0, 0.0, errs)
        return np.where(t == 0, value, result)

    def weighted_loss(self, t, *, nodes: int = 24) -> np.ndarray:
        """``(1/N) E theta(t)^T W2 theta(t) = (1/N) tr[W2 e^{-2tA}]``, ``theta = e^{-tA} theta0``.

        Since ``e^{-tA^T} W2 e^{-tA} = W2 e^{-2tA}`` this is ``f(2t)`` with ``f`` the inverse
        Laplace transform of ``h(s) = (1 - sH)/c`` (fixed Talbot, one variable); 1 at ``t = 0``.
        """
        from rmtdyn.laplace.two_dimensional import invert_laplace_talbot

        t = check.times("t", t)
        vals = invert_laplace_talbot(self.weighted_response_laplace, 2.0 * t, nodes=nodes,
                                     shift=-self.lowest_eigenvalue())
        return np.where(t == 0, 1.0, vals)

    def simulate_losses(self, n: int, t, rng=None, *, draws: int = 1,
                        method: str = "auto") -> dict:
        """Finite-``n`` Monte Carlo of the losses at times ``t`` (1-D), ``draws`` independent draws.

        Returns a dict of arrays: ``isotropic`` and ``weighted`` (mean over draws) with their
        standard errors ``isotropic_se``/``weighted_se`` (NaN for one draw), ``hermitian`` (the
        companion's loss ``(1/n) sum_i e^{-2 l_i t}`` for the same eigenvalues) and
        ``eigenvalues`` (of the last draw).

        ``method="cholesky"`` (default when ``W2`` is invertible, ``ratio2 < 1``): with
        ``W2 = L L^T`` and ``K = L^T W1 L = U diag(l) U^T`` (symmetric: well-conditioned ``U``),
        ``e^{-tA} = L^{-T} U e^{-tl} U^T L^T``, so ``|e^{-tA}|_F^2 = e^T [(B^T B) o (C C^T)] e``
        with ``B = L^{-T} U``, ``C = U^T L^T``, ``e = e^{-tl}``, and
        ``tr[W2 e^{-2tA}] = sum_i e^{-2t l_i} |L u_i|^2``: ``O(n^2)`` per time.
        ``method="expm"``: ``scipy.linalg.expm(-t A)`` at every time (no eigenvectors at all).
        """
        n = self._check_sample_size(n)
        draws = check.positive_int("draws", draws)
        t = check.times("t", t)
        if t.ndim != 1:
            raise ValueError("t must be a 1-D array of times")
        if method not in ("auto", "cholesky", "expm"):
            raise ValueError(f"method must be 'auto', 'cholesky' or 'expm', got {method!r}")
        if method == "auto":
            method = "cholesky" if self.ratio2 < 1 else "expm"
        gen = check.rng(rng)
        iso, wgt, herm = [], [], []
        lam = None
        for _ in range(draws):
            w1, w2 = self.sample_factors(n, gen)
            if method == "cholesky":
                from scipy.linalg import solve_triangular

                low = np.linalg.cholesky(w2)
                lam, u = np.linalg.eigh(low.T @ w1 @ low)
                lam = np.clip(lam, 0.0, None)
                b = solve_triangular(low.T, u, lower=False)
                c = u.T @ low.T
                kernel = (b.T @ b) * (c @ c.T)
                decay = np.exp(-np.outer(t, lam))  # (n_t, n)
                iso.append(np.einsum("ti,ij,tj->t", decay, kernel, decay) / n)
                wgt.append(decay**2 @ np.sum((low @ u) ** 2, axis=0) / n)
            else:
                from scipy.linalg import expm

                a = w1 @ w2
                lam = np.clip(np.linalg.eigvals(a).real, 0.0, None)
                vals_i, vals_w = [], []
                for ti in t:
                    e = expm(-ti * a)
                    vals_i.append(np.sum(e * e) / n)
                    vals_w.append(np.sum(e * (w2 @ e)) / n)
                iso.append(np.array(vals_i))
                wgt.append(np.array(vals_w))
            herm.append(np.exp(-2.0 * np.outer(t, lam)).mean(axis=1))
        iso, wgt, herm = np.array(iso), np.array(wgt), np.array(herm)

        def se(x):
            return x.std(axis=0, ddof=1) / np.sqrt(draws) if draws > 1 else np.full(t.shape, np.nan)

        return {"t": t, "isotropic": iso.mean(0), "isotropic_se": se(iso),
                "weighted": wgt.mean(0), "weighted_se": se(wgt), "hermitian": herm.mean(0),
                "hermitian_se": se(herm), "eigenvalues": lam}

    def isotropic_loss_hermitian(self, t) -> np.ndarray:
        """The companion's loss ``int rho e^{-2 l t}`` (monotone decreasing)."""
        return self._companion.isotropic_loss(t)


class ProductWishartSpectrum(Spectrum):
    """Hermitian companion of ``ProductWishart``: the law of ``O diag(lambda) O^T`` (O Haar).

    Same eigenvalue law as ``W1 W2`` (equivalently the law of ``W2^{1/2} W1 W2^{1/2}``);
    ``g(z) = -H(-z)`` with ``H`` the physical root of the product cubic.
    """

    def __init__(self, cubic: ProductCubic):
        self.cubic = cubic
        self.ratio1, self.ratio2 = cubic.gamma1, cubic.gamma2

    def __repr__(self) -> str:
        return (f"ProductWishart(ratio1={self.ratio1!r}, ratio2={self.ratio2!r})"
                ".hermitian_companion()")

    def _stieltjes_upper(self, z):
        # g(z) = -H(-z) and H(-z) = conj H(-conj z), with -conj z in the closed upper half plane.
        return -np.conj(self.cubic.solve_upper(-np.conj(z)))

    def _density_inside(self, x):
        # rho(x) = -Im H(-x + i0)/pi, H(-x + i0) the root with Im H < 0 (see ProductCubic)
        return np.maximum(-self.cubic.real_axis_upper(-x).imag / np.pi, 0.0)

    def atoms(self):
        top = max(self.ratio1, self.ratio2)
        if top > 1.0:
            return ((0.0, 1.0 - 1.0 / top),)
        return ()

    def support(self):
        if hasattr(self, "_support"):
            return self._support
        cand = np.concatenate(([0.0], self.cubic.edges()))
        cand = np.unique(cand)
        intervals = []
        for a, b in zip(cand[:-1], cand[1:], strict=True):
            mid = np.array([0.5 * (a + b)])
            if -self.cubic.real_axis_upper(-mid).imag[0] > 1e-9:
                if intervals and intervals[-1][1] == a:
                    intervals[-1] = (intervals[-1][0], float(b))
                else:
                    intervals.append((float(a), float(b)))
        self._support = tuple(intervals)
        return self._support

    def moment(self, k):
        """Moments of the free product of two MP laws (``m1 = 1``, ``m2 = 1 + g1 + g2``; others by
        quadrature)."""
        k = check.positive_int("k", k, minimum=0)
        if k == 0:
            return 1.0
        if k == 1:
            return 1.0
        if k == 2:
            return 1.0 + self.ratio1 + self.ratio2
        return super().moment(k)

    def eigenvalues(self, n: int, rng=None) -> np.ndarray:
        """Eigenvalues of one ``n x n`` product ``W1 W2`` (the draw of ``ProductWishart.sample``
        with the same ``rng``), computed stably: the non-zero ones are those of the symmetric
        ``X1 W2 X1^T / P1`` or ``X2 W1 X2^T / P2`` (the smaller), padded with zeros or trimmed."""
        n = self._check_sample_size(n)
        gen = check.rng(rng)
        p1 = max(1, round(n / self.ratio1))
        x1 = gen.standard_normal((p1, n))
        p2 = max(1, round(n / self.ratio2))
        x2 = gen.standard_normal((p2, n))
        if p1 <= p2:
            b = x1 @ (x2.T @ x2 / p2) @ x1.T / p1
        else:
            b = x2 @ (x1.T @ x1 / p1) @ x2.T / p2
        lam = np.clip(np.linalg.eigvalsh(b), 0.0, None)
        if lam.size >= n:
            return lam[lam.size - n:]
        return np.concatenate((np.zeros(n - lam.size), lam))

    def sample(self, n, rng=None):
        """``O diag(lambda) O^T`` with ``lambda`` the eigenvalues of one product draw and O Haar."""
        gen = check.rng(rng)
        lam = self.eigenvalues(n, gen)
        o = haar_orthogonal(lam.size, gen)
        return (o * lam) @ o.T


