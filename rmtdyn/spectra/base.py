"""The ``Spectrum`` protocol: one interface for every Hermitian spectral law.

Conventions (see docs/conventions.md):

* Stieltjes transform ``g(z) = int rho(l) / (z - l) dl``, so ``g(z) ~ 1/z`` as
  ``|z| -> inf``, ``Im g(z) < 0`` for ``Im z > 0`` and ``g(conj z) = conj g(z)``.
  On the real axis ``stieltjes`` returns the limit from above, ``g(x + i0+)``.
* Density ``rho(x) = -Im g(x + i0+) / pi`` of the absolutely continuous part;
  point masses are reported by ``atoms()`` and never smeared into ``density``.
* Response ``R(t) = int e^{-l t} drho(l)`` (atoms included), whose Laplace
  transform is ``-g(-s)``.

A subclass supplies ``_stieltjes_upper`` (g for ``Im z >= 0``), ``support``,
``atoms`` and ``sample``; everything else has a generic implementation that a
subclass may replace by a closed form.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import cached_property

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.spectra.quadrature import SpectralRule, tanh_sinh_nodes

Interval = tuple[float, float]
Atom = tuple[float, float]


class Spectrum(ABC):
    """A probability law on the real line: the limiting eigenvalue law of a Hermitian ensemble."""

    #: Hermitian ensembles have real spectra and a real-axis density.
    hermitian: bool = True

    # ------------------------------------------------------------------ required
    @abstractmethod
    def _stieltjes_upper(self, z: np.ndarray) -> np.ndarray:
        """``g(z)`` for a 1-D complex array with ``Im z >= 0`` (``Im z = 0``: limit from above)."""

    @abstractmethod
    def support(self) -> tuple[Interval, ...]:
        """The intervals ``(a, b)`` carrying the absolutely continuous part, sorted."""

    def atoms(self) -> tuple[Atom, ...]:
        """Point masses ``(location, mass)``; empty by default."""
        return ()

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """One ``n x n`` matrix drawn from the finite-``n`` ensemble."""

    # ------------------------------------------------------------- transforms
    def stieltjes(self, z, dps: int | None = None) -> np.ndarray:
        """Stieltjes transform ``g(z) = int rho(l)/(z - l) dl`` on a complex array of any shape.

        The physical branch is used everywhere: ``g ~ 1/z`` at infinity and
        ``Im g < 0`` for ``Im z > 0``; real ``z`` gives the limit from above.
        With ``dps`` (decimal digits) the result is computed in mpmath and
        returned as an object array of ``mpmath.mpc``.
        """
        z = check.complex_array("z", z)
        if dps is not None:
            dps = check.positive_int("dps", dps, minimum=15)
            return self._stieltjes_mp(z, dps)
        flat = z.ravel()
        upper = flat.imag >= 0
        if upper.all():
            # adding +0.0 turns a signed zero -0.0 into +0.0, so real z means x + i0+
            return np.asarray(self._stieltjes_upper(flat + 0.0), dtype=complex).reshape(z.shape)
        out = np.empty(flat.shape, dtype=complex)
        if upper.any():
            out[upper] = self._stieltjes_upper(flat[upper] + 0.0)
        out[~upper] = np.conj(self._stieltjes_upper(np.conj(flat[~upper])))
        return out.reshape(z.shape)

    def _stieltjes_mp(self, z: np.ndarray, dps: int) -> np.ndarray:
        """High-precision ``g``: the root of ``high_precision_equation(dps)`` next to the
        double-precision value, polished in mpmath (``rmtdyn.symbolic.highprec``)."""
        from rmtdyn.symbolic.highprec import stieltjes_from_equation

        return stieltjes_from_equation(self.high_precision_equation(dps), z, self.stieltjes(z),
                                       dps)

    def density(self, x) -> np.ndarray:
        """Density ``rho(x) = -Im g(x + i0+)/pi`` of the absolutely continuous part.

        Atoms are excluded (see ``atoms()``).
        """
        x = check.real_array("x", x)
        flat = x.ravel()
        out = np.zeros(flat.shape)
        inside = np.zeros(flat.shape, dtype=bool)
        for a, b in self.support():
            inside |= (flat > a) & (flat < b)
        if inside.any():
            out[inside] = self._density_inside(flat[inside])
        return out.reshape(x.shape)

    def _density_inside(self, x: np.ndarray) -> np.ndarray:
        """Density at points strictly inside the support (1-D float array)."""
        return np.maximum(-self._stieltjes_upper(x.astype(complex)).imag / np.pi, 0.0)

    # ----------------------------------------------------------------- moments
    def moment(self, k: int) -> float:
        """``k``-th moment ``int l^k drho(l)`` of the limiting law (atoms included)."""
        k = check.positive_int("k", k, minimum=0)
        return self.expect(lambda lam: lam**k)

    def mass(self) -> float:
        """Mass of the absolutely continuous part, ``1 - sum of atom masses``."""
        return 1.0 - sum(m for _, m in self.atoms())

    # ------------------------------------------------------------ quadrature
    @cached_property
    def quadrature_rule(self) -> SpectralRule:
        """Nodes and weights integrating against the law (tanh-sinh per interval, atoms exact)."""
        support = self.support()
        atoms = self.atoms()
        lows = [a for a, _ in support] + [loc for loc, _ in atoms]
        origin = min(lows) if lows else 0.0
        nodes, weights, offsets = [], [], []
        for a, b in self._quadrature_intervals():
            x, w, d, side = tanh_sinh_nodes(a, b)
            nodes.append(x)
            weights.append(w * self._density_inside(x))
            offsets.append(np.where(side < 0, (a - origin) + d, (b - origin) - d))
        for loc, m in atoms:
            nodes.append(np.array([loc]))
            weights.append(np.array([m]))
            offsets.append(np.array([loc - origin]))
        return SpectralRule(
            nodes=np.concatenate(nodes) if nodes else np.zeros(0),
            weights=np.concatenate(weights) if weights else np.zeros(0),
            offsets=np.concatenate(offsets) if offsets else np.zeros(0),
            origin=float(origin),
        )

    def _quadrature_intervals(self) -> tuple[Interval, ...]:
        """Intervals that each get their own tanh-sinh rule: the support intervals, which a
        subclass may cut further where the density bends sharply inside an interval."""
        return self.support()

    def expect(self, f: Callable[[np.ndarray], np.ndarray]) -> float | np.ndarray:
        """``int f(l) drho(l)``: the spectral functional of a vectorised function ``f``.

        Atoms are included exactly; the continuous part uses the tanh-sinh rule of
        ``quadrature_rule`` (exact to ~1e-14 for square-root and hard edges).
        ``f`` may return extra trailing dimensions: ``f(l)`` of shape
        ``(n_nodes, ...)`` gives a result of shape ``(...)``.
        """
        if not callable(f):
            raise TypeError("f must be callable")
        rule = self.quadrature_rule
        values = np.asarray(f(rule.nodes))
        if values.shape[:1] != rule.nodes.shape:
            raise ValueError("f must map an array of eigenvalues to an array of the same length")
        out = np.tensordot(rule.weights, values, axes=(0, 0))
        return float(out) if np.ndim(out) == 0 and not np.iscomplexobj(out) else out

    def response(self, t, method: str = "quadrature") -> np.ndarray:
        """Response ``R(t) = (1/N) tr e^{-tA} = int e^{-l t} drho(l)`` for ``t >= 0``, any shape.

        ``method="quadrature"`` (default): ``e^{-a t} sum_k w_k e^{-(l_k - a) t}`` with ``a``
        the lowest point of the spectrum and offsets formed without cancellation, so the
        exponentially small tail keeps its relative accuracy (1e-8 up to t = 1e3 and beyond).
        ``method="contour"``: through the resolvent, ``R(t) = (1/2 pi i) oint e^{st} (-g(-s)) ds``
        on an ellipse around the spectrum (support and atoms), trapezoidal rule (geometric
        convergence; ``rmtdyn.laplace.contour``). It loses relative accuracy at large t by
        cancellation (~eps t^{3/2} at a square-root edge), hence not the default.
        """
        if method == "contour":
            from rmtdyn.laplace.contour import spectrum_response

            return spectrum_response(self, t)
        if method != "quadrature":
            raise ValueError(f"method must be 'quadrature' or 'contour', got {method!r}")
        t = check.times("t", t)
        rule = self.quadrature_rule
        flat = t.ravel()
        total = np.exp(-np.multiply.outer(flat, rule.offsets)) @ rule.weights
        with np.errstate(over="ignore"):
            out = np.exp(-rule.origin * flat) * total
        return out.reshape(t.shape)

    def isotropic_loss(self, t) -> np.ndarray:
        """``(1/N) E|exp(-tA) theta0|^2`` for ``theta0 ~ N(0, I)``.

        For Hermitian A this is ``R(2t)``.
        """
        t = check.times("t", t)
        return self.response(2.0 * t)

    def hermitian_companion(self) -> Spectrum:
        """The Hermitian law with the same eigenvalues (a Hermitian spectrum is its own)."""
        return self

    def two_point(self, z, w) -> np.ndarray:
        """``T(z, w) = (1/N) tr[(z - A)^{-1}(w - A)^{-1}] = (g(z) - g(w))/(w - z)`` (Hermitian A).

        Near ``z = w`` the integral ``int rho/((z - l)(w - l))`` is evaluated by quadrature instead
        (off the real axis).
        """
        z = check.complex_array("z", z)
        w = check.complex_array("w", w)
        try:
            z, w = np.broadcast_arrays(z, w)
        except ValueError as exc:
            raise ValueError(
                f"z and w must have broadcastable shapes, got {z.shape} and {w.shape}"
            ) from exc
        gz, gw = self.stieltjes(z), self.stieltjes(w)
        diff = w - z
        close = np.abs(diff) <= 1e-6 * (1 + np.abs(z))
        out = np.empty(z.shape, dtype=complex)
        out[~close] = (gz[~close] - gw[~close]) / diff[~close]
        if close.any():
            zc, wc = z[close], w[close]
            out[close] = self.expect(lambda lam: 1.0 / ((zc - lam[:, None]) * (wc - lam[:, None])))
        return out

    # ----------------------------------------------------------------- symbolic
    def equation(self):
        """The polynomial ``P(g, z)`` with ``P(g(z), z) = 0``.

        A sympy ``Poly`` in the generators ``rmtdyn.symbolic.G, Z``.

        Raises ``NotImplementedError`` for laws that are not algebraic.
        """
        raise NotImplementedError(f"{type(self).__name__} has no algebraic equation")

    def high_precision_equation(self, dps: int):
        """``P(g, z)`` with coefficients good to at least ``dps`` digits (cached per ``dps``).

        ``equation()`` itself where its coefficients are exact (rationals read from the
        parameters); laws whose equation holds quadratures (nonlinear random features) or
        operands' equations (free sums and products, affine maps) build it at ``dps``.
        Raises ``NotImplementedError`` for laws that are not algebraic.
        """
        dps = check.positive_int("dps", dps, minimum=15)
        cache = self.__dict__.setdefault("_high_precision_equations", {})
        if dps not in cache:
            try:
                cache[dps] = self._high_precision_equation(dps)
            except NotImplementedError as exc:
                # one message for nested laws: the path of operands down to the cause
                laws = [type(self).__name__, *getattr(exc, "laws", [])]
                reason = getattr(exc, "reason", str(exc))
                error = NotImplementedError(
                    f"stieltjes(z, dps={dps}) needs an equation with {dps}-digit "
                    f"coefficients; {' > '.join(laws)} has none: {reason}")
                error.laws, error.reason = laws, reason
                raise error from exc
        return cache[dps]

    def _high_precision_equation(self, dps: int):
        return self.equation()

    def r_transform(self):
        """The R-transform ``R(w)`` as a sympy expression in ``rmtdyn.symbolic.W``
        (``g(R(w) + 1/w) = w``); ``NotImplementedError`` where it has no closed form."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form R-transform")

    def s_transform(self):
        """Voiculescu's S-transform as a sympy expression in ``rmtdyn.symbolic.W``
        (``S_{AB} = S_A S_B``; ``psi(z) = int l z/(1 - l z) drho``,
        ``S(w) = (1 + w)/w psi^{-1}(w)``)."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form S-transform")

    # -------------------------------------------------------------- algebra
    def __mul__(self, c) -> Spectrum:
        from rmtdyn.spectra.affine import affine

        return affine(self, scale=c, shift=0.0)

    __rmul__ = __mul__

    def __truediv__(self, c) -> Spectrum:
        c = check.real_number("c", c)
        if c == 0:
            raise ValueError("cannot divide a spectrum by zero")
        return self * (1.0 / c)

    def __add__(self, d) -> Spectrum:
        if isinstance(d, Spectrum):
            raise TypeError("use rmtdyn.free_sum(a, b) for the free sum of two spectra; "
                            "`spec + d` shifts by a scalar d")
        from rmtdyn.spectra.affine import affine

        return affine(self, scale=1.0, shift=d)

    __radd__ = __add__

    def __sub__(self, d) -> Spectrum:
        return self + (-check.real_number("d", d))

    def __rsub__(self, d) -> Spectrum:
        return (-1.0) * self + d

    def __neg__(self) -> Spectrum:
        return (-1.0) * self

    def is_positive(self) -> bool:
        """True when the law lives on ``[0, inf)`` (required by ``free_product``)."""
        lows = [a for a, _ in self.support()] + [loc for loc, _ in self.atoms()]
        return min(lows) >= 0.0

    def _check_sample_size(self, n) -> int:
        return check.positive_int("n", n, minimum=1)


def binomial_moment(moments: Callable[[int], float], k: int, scale: float, shift: float) -> float:
    """Moment ``E (c X + d)^k`` from the moments of ``X`` (binomial expansion)."""
    terms = (math.comb(k, j) * scale**j * shift ** (k - j) * moments(j) for j in range(k + 1))
    return float(sum(terms))


def divide_by_real(g: np.ndarray, c: float) -> np.ndarray:
    """``g / c`` for a real ``c``, part by part: ``(0 - i inf)/c`` stays ``0 -+ i inf``
    (numpy's complex division turns ``0 * inf`` into a NaN real part)."""
    g = np.asarray(g, dtype=complex)
    out = np.empty(g.shape, dtype=complex)
    out.real = g.real / c
    out.imag = g.imag / c
    return out
