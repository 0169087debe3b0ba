"""Timings of the symbolic layer, with ratios against the brute-force alternative.

* Deriving an equation (free sum / free product by resultants) once, in seconds.
* The dps=50 Stieltjes path (polynomial roots + Newton polish in mpmath) against
  the alternative a user would reach for: mpmath.quad of the density at each z.
* The dps=40 path of nonlinear (ReLU) random features against mpmath.findroot on the
  Pennington-Worah equation for p at each z, seeded by the double-precision value.
* Support edges from the discriminant against locating them by bisection on a
  fine grid of the numerical density (the brute-force alternative), with the error of each.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_symbolic.py
"""

from __future__ import annotations

import time

import mpmath
import numpy as np

import rmtdyn as rd
from rmtdyn.symbolic.algebra import free_product_equation, free_sum_equation
from rmtdyn.symbolic.highprec import stieltjes_from_equation
from rmtdyn.symbolic.support import support_edges_from_equation
from rmtdyn.symbolic.transforms import equation_from_atoms


def timed(fn, repeat=3):
    best = np.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    wig, mp = rd.Wigner(1.0), rd.MarchenkoPastur(0.5)
    pop = equation_from_atoms([0.5, 1.0, 4.0], [0.2, 0.5, 0.3])
    cases = {
        "free_sum(Wigner, MP)": lambda: free_sum_equation(wig.equation(), mp.equation()),
        "free_product(MP, MP)": lambda: free_product_equation(mp.equation(),
                                                              rd.MarchenkoPastur(0.25).equation()),
        "free_product(MP, 3 atoms)": lambda: free_product_equation(mp.equation(), pop),
    }
    print("derivation of equations (best of 3):")
    for name, fn in cases.items():
        t, P = timed(fn)
        print(f"  {name:28s} {t * 1e3:8.1f} ms   degree (g, z) = {P.degree(rd.symbolic.G)}, "
              f"{P.degree(rd.symbolic.Z)}")

    # dps=50 path vs mpmath.quad of the density, MP(0.5)
    n = 200
    rng = np.random.default_rng(0)
    z = rng.uniform(0.0, 3.0, n) + 1j * rng.uniform(0.05, 1.0, n)
    t_eq, g = timed(lambda: stieltjes_from_equation(mp.equation(), z, mp.stieltjes(z), 50), 1)
    gam = mpmath.mpf(1) / 2
    errs = []

    def by_quad():
        out = []
        with mpmath.workdps(50):
            lm, lp = (1 - mpmath.sqrt(gam)) ** 2, (1 + mpmath.sqrt(gam)) ** 2
            for zi in z[:20]:
                zz = mpmath.mpc(zi.real, zi.imag)
                out.append(mpmath.quad(lambda x, zz=zz: mpmath.sqrt((lp - x) * (x - lm))
                                       / (2 * mpmath.pi * gam * x) / (zz - x), [lm, lp]))
        return out

    t_quad, ref = timed(by_quad, 1)
    with mpmath.workdps(50):
        errs = [float(abs(a - b) / abs(b)) for a, b in zip(g[:20], ref, strict=True)]
    per_eq, per_quad = t_eq / n, t_quad / 20
    print(f"dps=50 Stieltjes, MP(0.5): equation path {per_eq * 1e3:.2f} ms/point, "
          f"mpmath.quad {per_quad * 1e3:.2f} ms/point, "
          f"ratio quad/equation = {per_quad / per_eq:.1f}x, "
          f"max relative difference {max(errs):.1e}")

    # dps=40 of ReLU random features vs mpmath.findroot of the Pennington-Worah equation
    rf = rd.RandomFeatures(1.5, 0.5, "relu")
    zr = z[:50] * 1.2
    rf.stieltjes(zr[:1], dps=40)  # builds the 40-digit equation once
    t_rf, g_rf = timed(lambda: rf.stieltjes(zr, dps=40), 1)

    def by_findroot():
        out = []
        with mpmath.workdps(60):
            eta = mpmath.mpf(1) / 2 - 1 / (2 * mpmath.pi)
            zeta = mpmath.mpf(1) / 4
            phi, psi = mpmath.mpf(1) / 2, mpmath.mpf(1) / 3
            for zi, gd in zip(zr[:20], rf.stieltjes(zr[:20]), strict=True):
                zz = mpmath.mpc(zi.real, zi.imag)

                def f(p, zz=zz):
                    q = (1 + (p - 1) * phi) * (1 + (p - 1) * psi) / (zz * psi)
                    return p - 1 - (eta - zeta) * q - zeta * q / (1 - zeta * q)

                p0 = (complex(gd) * zi - 1 + 1 / 3) * 3
                p = mpmath.findroot(f, mpmath.mpc(p0.real, p0.imag), solver="secant",
                                    tol=mpmath.mpf(10) ** -100)
                out.append((psi * p + 1 - psi) / zz)
        return out

    t_root, ref_rf = timed(by_findroot, 1)
    with mpmath.workdps(40):
        err_rf = max(float(abs(a - b) / abs(b)) for a, b in zip(g_rf[:20], ref_rf, strict=True))
    per_rf, per_root = t_rf / zr.size, t_root / 20
    print(f"dps=40 Stieltjes, RandomFeatures(1.5, 0.5, relu): {per_rf * 1e3:.2f} ms/point, "
          f"mpmath.findroot on Pennington-Worah {per_root * 1e3:.2f} ms/point, "
          f"ratio = {per_root / per_rf:.1f}x, max relative difference {err_rf:.1e}")

    # support edges: discriminant vs grid + bisection on the numerical density
    P = free_sum_equation(wig.equation(), mp.equation())
    t_disc, edges = timed(lambda: support_edges_from_equation(P))
    spec = rd.free_sum(wig, mp) if hasattr(rd, "free_sum") else None
    if spec is not None:
        def by_grid():
            x = np.linspace(-3, 5, 4001)
            rho = spec.density(x)
            inside = rho > 1e-8
            idx = np.flatnonzero(np.diff(inside.astype(int)))
            return x[idx], x[idx + 1]

        try:
            t_grid, (lo, hi) = timed(by_grid, 1)
            err = max(abs(lo[0] - edges[0]), abs(hi[-1] - edges[-1]))
            print(f"support edges of Wigner ⊞ MP: discriminant {t_disc * 1e3:.1f} ms, "
                  f"density grid (4001 pts) {t_grid * 1e3:.1f} ms (ratio {t_grid / t_disc:.1f}x), "
                  f"grid error {err:.1e} vs discriminant accuracy ~1e-15")
        except Exception as exc:  # the numeric free sum is another engineer's module
            print(f"support edges: discriminant {t_disc * 1e3:.1f} ms "
                  f"(grid comparison failed: {exc})")


if __name__ == "__main__":
    main()
