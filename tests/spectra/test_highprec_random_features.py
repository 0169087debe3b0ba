"""``RandomFeatures(..., activation).stieltjes(z, dps=40)`` for nonlinear activations.

The library takes the root of its quartic ``P(g, z)`` with ``eta``, ``zeta`` in closed form
(ReLU, erf) or by quadrature (tanh), next to the double-precision value. The reference shares
none of that: the test's own Gaussian moments by mpmath quadrature of the activation (split
at 0) and Pennington-Worah's equation for ``p`` (paper-notes §3.5),

    p = 1 + (eta - zeta) t p_phi p_psi + zeta t p_phi p_psi / (1 - zeta t p_phi p_psi),
    t = 1/(z psi),  p_phi = 1 + (p - 1) phi,  p_psi = 1 + (p - 1) psi,  g = (psi p + 1 - psi)/z,

solved by mpmath's secant method at 80 digits from the double-precision ``p``; the reference
root must keep ``Im g <= 0`` (``Im z >= 0``) and stay within 1e-8 of the double value.
Points: inside the bulk above and on the axis, right of it, left of 0, far out, below the
axis, and 1e-6 (relative) inside the lower edge.
Tolerance 1e-35 relative at ``dps = 40``.
"""

import functools

import mpmath
import numpy as np
import pytest

import rmtdyn as rd

DPS = 40
REF_DPS = 80
TOL = mpmath.mpf(10) ** -35


def gaussian_moment(h):
    return mpmath.quad(lambda x: h(x) * mpmath.exp(-x * x / 2), [-mpmath.inf, 0, mpmath.inf]) \
        / mpmath.sqrt(2 * mpmath.pi)


MP_ACTIVATIONS = {"relu": lambda x: x if x > 0 else mpmath.mpf(0), "erf": mpmath.erf,
                  "tanh": mpmath.tanh}


@functools.lru_cache
def moments(activation):
    """``(eta, zeta)`` by the test's own quadrature, at ``REF_DPS`` digits."""
    f = MP_ACTIVATIONS[activation]
    with mpmath.workdps(REF_DPS):
        mu0 = gaussian_moment(f)
        return (gaussian_moment(lambda x: f(x) ** 2) - mu0**2,
                gaussian_moment(lambda x: x * f(x)) ** 2)


def reference_g(activation, gamma, phi, z, g_double):
    """``g`` at ``z`` (a complex or mpmath number, taken with all its digits)."""
    eta, zeta = moments(activation)
    with mpmath.workdps(REF_DPS):
        # the ratios as the decimals they print as (0.7 is 7/10: the library's convention,
        # ``rmtdyn.symbolic.polynomials.exact_rational``)
        phi_m, gamma_m = mpmath.mpf(repr(phi)), mpmath.mpf(repr(gamma))
        psi = phi_m / gamma_m
        zm = mpmath.mpc(z.real, z.imag)
        t = 1 / (zm * psi)

        def equation(p):
            q = t * (1 + (p - 1) * phi_m) * (1 + (p - 1) * psi)
            return p - 1 - (eta - zeta) * q - zeta * q / (1 - zeta * q)

        p0 = (complex(g_double) * complex(z) - 1 + complex(psi)) / complex(psi)
        p = mpmath.findroot(equation, mpmath.mpc(p0.real, p0.imag), solver="secant",
                            tol=mpmath.mpf(10) ** (-2 * REF_DPS + 20), maxsteps=200)
        g = (psi * p + 1 - psi) / zm
        assert g.imag <= mpmath.mpf(10) ** -60 * abs(g)
        assert abs(complex(g) - g_double) <= 1e-8 * abs(g_double)
        return g


@pytest.mark.parametrize("activation", ["relu", "erf", "tanh"])
@pytest.mark.parametrize("gamma, phi", [(1.0, 0.5), (2.0, 0.7), (0.5, 3.0)])
def test_nonlinear_dps_against_pennington_worah_in_mpmath(activation, gamma, phi):
    law = rd.RandomFeatures(gamma, phi, activation)
    (lo, hi), = law.support() if len(law.support()) == 1 else law.support()[-1:]
    z = np.array([0.5 * (lo + hi) + 0.3j, 0.3 * lo + 0.7 * hi, hi * 1.5, -0.7, 2 + 5j,
                  0.5 * (lo + hi) - 0.2j, lo + 1e-6 * (hi - lo)])
    g = law.stieltjes(z, dps=DPS)
    g_double = law.stieltjes(z)
    for zi, gi, gd in zip(z, g, g_double, strict=True):
        zu = complex(zi.real, abs(zi.imag))
        gu = complex(gd.real, -abs(gd.imag)) if zi.imag < 0 else gd
        ref = reference_g(activation, gamma, phi, zu, gu)
        with mpmath.workdps(REF_DPS):
            ref = mpmath.conj(ref) if zi.imag < 0 else ref
            assert abs(gi - ref) <= TOL * abs(ref), (activation, zi, gi, ref)
        # and the double-precision value agrees to its own precision
        assert abs(complex(ref) - gd) <= 1e-12 * abs(gd)


def test_nonlinear_dps_atom_and_callable():
    """The atom at 0 (gamma > 1) passes through as -i inf; an mpmath-capable callable gives the
    named activation's digits; a float-only callable raises NotImplementedError."""
    law = rd.RandomFeatures(2.0, 0.5, "relu")
    g0 = law.stieltjes(np.array([0.0]), dps=DPS)[0]
    assert g0.imag == -mpmath.inf

    def mp_tanh(x):
        return mpmath.tanh(x) if isinstance(x, mpmath.mpf) else np.tanh(x)
    z = np.array([1.0 + 0.5j, 0.7])
    a = rd.RandomFeatures(1.5, 0.5, "tanh").stieltjes(z, dps=DPS)
    b = rd.RandomFeatures(1.5, 0.5, mp_tanh).stieltjes(z, dps=DPS)
    with mpmath.workdps(REF_DPS):
        assert all(abs(x - y) <= TOL * abs(x) for x, y in zip(a, b, strict=True))
        assert all(abs(x - y) > 0 for x, y in zip(a, rd.RandomFeatures(1.5, 0.5, "erf")
                                                  .stieltjes(z, dps=DPS), strict=True))
    with pytest.raises(NotImplementedError, match="mpmath.mpf"):
        rd.RandomFeatures(1.5, 0.5, np.tanh).stieltjes(z, dps=DPS)


def test_nonlinear_features_as_operand_and_population_dps():
    """A free product with nonlinear features, ``MP(c) ⊠ RF``, at 40 digits by two library
    routes (the resultant equation built from the features' high-precision quartic, and
    Silverstein's equation with the features as population covariance), both against the
    test's own Silverstein solve ``z = v (1 - c) + c v^2 g_RF(v)``, ``g = v g_RF(v)/z``, with
    ``g_RF`` from the Pennington-Worah reference above (before: the product's equation held
    the double-precision quadratures, so 40 requested digits were ~17 correct ones)."""
    c = 0.3
    rf = rd.RandomFeatures(1.5, 0.5, "relu")
    product = rd.free_product(rd.MarchenkoPastur(c), rf)
    population = rd.MarchenkoPastur(c, population=rf)
    z = np.array([1.0 + 0.7j, 2.5 + 0.05j])
    via_equation = product.stieltjes(z, dps=DPS)
    via_population = population.stieltjes(z, dps=DPS)
    def g_rf(v):
        return reference_g("relu", 1.5, 0.5, v, rf.stieltjes(complex(v)))  # v: every digit

    for zi, a, b in zip(z, via_equation, via_population, strict=True):
        with mpmath.workdps(REF_DPS):
            zm, cm = mpmath.mpc(zi.real, zi.imag), mpmath.mpf(repr(c))
            g0 = complex(population.stieltjes(zi))
            v0 = zi / (1 - c + c * zi * g0)
            v = mpmath.findroot(lambda v, zm=zm, cm=cm: v * (1 - cm) + cm * v * v * g_rf(v) - zm,
                                mpmath.mpc(v0.real, v0.imag), solver="secant",
                                tol=mpmath.mpf(10) ** (-2 * REF_DPS + 30), maxsteps=100)
            assert v.imag > 0
            ref = v * g_rf(v) / zm
            assert abs(a - ref) <= TOL * abs(ref), (zi, a, ref)
            assert abs(b - ref) <= TOL * abs(ref), (zi, b, ref)


def test_dps_without_an_equation_names_the_path_to_the_cause():
    """A composite whose operand has no high-precision equation raises one clear
    NotImplementedError naming the operands down to the cause."""
    law = rd.free_sum(rd.Wigner(1.0),
                      rd.free_product(rd.MarchenkoPastur(0.5), rd.RandomFeatures(1, 1, np.tanh)))
    with pytest.raises(NotImplementedError,
                       match=r"FreeSum > FreeProduct > RandomFeatures has none: .*mpmath\.mpf"):
        law.stieltjes(np.array([1 + 1j]), dps=30)
    assert np.isfinite(law.stieltjes(np.array([1 + 1j]))).all()  # double precision works


def test_high_precision_coefficients_bad_input_and_unresolved_quadrature():
    from rmtdyn.errors import ConvergenceError
    from rmtdyn.spectra.activations import high_precision_coefficients

    with pytest.raises(ValueError, match="activation"):
        high_precision_coefficients("softplus", 40)
    with pytest.raises(TypeError, match="dps"):
        rd.RandomFeatures(1.0, 0.5, "relu").high_precision_equation(40.5)

    def kinked(x):  # a kink at x = 1.3, away from the split at 0: quadrature cannot resolve it
        return x - mpmath.mpf("1.3") if x > mpmath.mpf("1.3") else mpmath.mpf(0)

    with pytest.raises(ConvergenceError) as info:
        high_precision_coefficients(kinked, 40)
    assert info.value.residual > 1e-45
