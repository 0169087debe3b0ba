"""Affine images of spectra: the law of ``c A + d I``.

``g_{cA+d}(z) = g_A((z - d)/c) / c``; support, atoms and samples map the same way.
"""

from __future__ import annotations

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.spectra.base import Spectrum, binomial_moment, divide_by_real


def affine(spectrum: Spectrum, scale=1.0, shift=0.0) -> Spectrum:
    """The law of ``scale * A + shift * I`` for ``A`` distributed as ``spectrum``."""
    scale = check.real_number("scale", scale)
    shift = check.real_number("shift", shift)
    if scale == 0:
        raise ValueError("scale must be non-zero (0 * A is a point mass, not a spectrum)")
    if isinstance(spectrum, AffineSpectrum):
        return affine(spectrum.base, spectrum.scale * scale, spectrum.shift * scale + shift)
    if scale == 1.0 and shift == 0.0:
        return spectrum
    return AffineSpectrum(spectrum, scale, shift)


class AffineSpectrum(Spectrum):
    """Law of ``c A + d I``: ``g(z) = g_A((z - d)/c)/c``, ``rho(x) = rho_A((x - d)/c)/|c|``."""

    def __init__(self, base: Spectrum, scale: float, shift: float):
        if not isinstance(base, Spectrum):
            raise TypeError("base must be an rmtdyn Spectrum")
        self.base, self.scale, self.shift = base, float(scale), float(shift)

    def __repr__(self) -> str:
        return f"{self.scale!r} * {self.base!r} + {self.shift!r}"

    def _to_base(self, x):
        return (x - self.shift) / self.scale

    def _stieltjes_upper(self, z):
        u = self._to_base(z)
        if self.scale > 0:
            return divide_by_real(self.base._stieltjes_upper(u), self.scale)
        # c < 0 maps the upper half plane (and x + i0) to the lower one.
        return divide_by_real(np.conj(self.base._stieltjes_upper(np.conj(u))), self.scale)

    def _density_inside(self, x):
        return self.base._density_inside(self._to_base(x)) / abs(self.scale)

    def support(self):
        ends = [tuple(sorted((self.scale * a + self.shift, self.scale * b + self.shift)))
                for a, b in self.base.support()]
        return tuple(sorted(ends))

    def atoms(self):
        return tuple(sorted((self.scale * loc + self.shift, m) for loc, m in self.base.atoms()))

    def moment(self, k):
        k = check.positive_int("k", k, minimum=0)
        return binomial_moment(self.base.moment, k, self.scale, self.shift)

    def sample(self, n, rng=None):
        n = self._check_sample_size(n)
        return self.scale * self.base.sample(n, rng) + self.shift * np.eye(n)

    def equation(self):
        from rmtdyn.symbolic.algebra import affine_equation

        return affine_equation(self.base.equation(), self.scale, self.shift)

    def _high_precision_equation(self, dps):
        from rmtdyn.symbolic.algebra import affine_equation

        return affine_equation(self.base.high_precision_equation(dps), self.scale, self.shift)

    def r_transform(self):
        import sympy as sp

        from rmtdyn.symbolic.polynomials import exact_rational
        from rmtdyn.symbolic.symbols import W

        c = exact_rational(self.scale)
        d = exact_rational(self.shift)
        return sp.simplify(c * self.base.r_transform().subs(W, c * W) + d)
