"""Benchmark: g on 1e5 complex points for free products/sums and random features.

For each law it prints the time to evaluate the Stieltjes transform on 10^5 points of the
upper half plane, the time to sample and diagonalise ONE 2000 x 2000 matrix of the same
model (the brute-force alternative), and the ratios. Algebraic laws (free sums/products of
algebraic operands, linear and nonlinear random features) use the fast path (blocked
closed-form polynomial roots + branch rule, ``rmtdyn.spectra.algebraic_roots``); for them the
general solver alone (``fast_path = False``: subordination, or continuation for nonlinear
features) is timed too, with the fraction of points the fast path decided and the max
relative residual of ``P(g, z) = 0``. The last column adds the rest of the end-to-end
alternative: the sample's empirical ``g_N(z) = (1/N) sum_i 1/(z - lambda_i)`` at the same
10^5 points (numpy, in chunks), which a user needs to get ``g`` from the eigenvalues.
Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_free_rf.py``.
"""

from __future__ import annotations

import time

import numpy as np

import rmtdyn as rd
from rmtdyn.spectra.free import free_product, free_sum
from rmtdyn.spectra.random_features import RandomFeatures


def timed(f, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


def empirical_stieltjes(eigenvalues: np.ndarray, z: np.ndarray, chunk: int = 500) -> np.ndarray:
    """``(1/N) sum_i 1/(z - lambda_i)`` at every ``z`` (chunks of ``chunk`` points)."""
    out = np.empty(z.shape, dtype=complex)
    for start in range(0, z.size, chunk):
        part = z[start:start + chunk]
        out[start:start + chunk] = (1.0 / (part[:, None] - eigenvalues[None, :])).mean(axis=1)
    return out


def main(n_points: int = 100_000, n_matrix: int = 2000) -> None:
    rng = np.random.default_rng(0)
    z = rng.uniform(-1.0, 6.0, n_points) + 1j * rng.uniform(0.01, 2.0, n_points)
    laws = {
        "free product MP(0.5) x MP(0.3)": free_product(rd.MarchenkoPastur(0.5),
                                                       rd.MarchenkoPastur(0.3)),
        "free sum Wigner(1) + MP(0.5)": free_sum(rd.Wigner(1.0), rd.MarchenkoPastur(0.5)),
        "free product MP(100) x MP(100)": free_product(rd.MarchenkoPastur(100.0),
                                                       rd.MarchenkoPastur(100.0)),
        "random features linear (10, 0.5)": RandomFeatures(10.0, 0.5),
        "random features relu (1.0, 0.5)": RandomFeatures(1.0, 0.5, "relu"),
        "MP(0.3) x RF relu (1.5, 0.5), deg 6": free_product(
            rd.MarchenkoPastur(0.3), RandomFeatures(1.5, 0.5, "relu")),
        "(MP(0.5) x MP(0.3)) + W(1), degree 5": free_sum(
            free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.3)), rd.Wigner(1.0)),
    }
    print(f"{'law':34s} {'g fast s':>9s} {'decided':>8s} {'max res':>8s} {'g subord s':>10s} "
          f"{'sample s':>9s} {'eigvalsh s':>10s} {'eig/g':>7s} {'(smp+eig)/g':>11s} "
          f"{'subord/g':>8s} {'(smp+eig+gN)/g':>14s}")
    for name, law in laws.items():
        hull = getattr(law, "_bounds", (0.0, getattr(law, "_upper_bound", 6.0)))
        zz = hull[0] + (hull[1] - hull[0]) * (z.real + 1.0) / 7.0 + 1j * z.imag * (
            (hull[1] - hull[0]) / 7.0)  # same pattern, scaled to the law's hull
        law.stieltjes(zz[:16])  # warm-up (lazy imports, equation(), lambdify)
        t_g, g = timed(lambda law=law, zz=zz: law.stieltjes(zz), repeat=3)
        fast = law._fast_roots if hasattr(law, "_fast_roots") else None
        decided, res, t_slow = float("nan"), float("nan"), float("nan")
        if fast is not None:
            decided = float(np.mean(fast.stieltjes(zz)[2]))
            c = fast.coefficients(zz)
            k = np.arange(c.shape[1])
            terms = c * g[:, None] ** k
            res = float(np.max(np.abs(terms.sum(axis=1)) / np.abs(terms).sum(axis=1)))
            law.fast_path = False
            t_slow, _ = timed(lambda law=law, zz=zz: law.stieltjes(zz))
            law.fast_path = True
        t_s, a = timed(lambda law=law: law.sample(n_matrix, np.random.default_rng(1)))
        t_e, lam = timed(lambda a=a: np.linalg.eigvalsh(a))
        t_n, _ = timed(lambda lam=lam, zz=zz: empirical_stieltjes(lam, zz))
        print(f"{name:34s} {t_g:9.3f} {decided:8.4f} {res:8.1e} {t_slow:10.3f} {t_s:9.3f} "
              f"{t_e:10.3f} {t_e / t_g:7.2f} {(t_s + t_e) / t_g:11.2f} {t_slow / t_g:8.1f} "
              f"{(t_s + t_e + t_n) / t_g:14.1f}")
    # small batches on the real axis: undecided points there go one by one to mpmath
    # (rule 5), so the fraction the fast path decides sets the cost; against the
    # subordination solver alone
    law = laws["MP(0.3) x RF relu (1.5, 0.5), deg 6"]
    x = np.linspace(0.01, 3.6, 20) + 0j
    t_fast, g = timed(lambda: law.stieltjes(x), repeat=3)
    decided = float(np.mean(law._fast_roots.stieltjes(x)[2]))
    law.fast_path = False
    t_sub, g_sub = timed(lambda: law.stieltjes(x), repeat=3)
    law.fast_path = True
    print(f"MP(0.3) x RF relu, 20 real points: {t_fast:.3f} s (decided {decided:.2f}), "
          f"subordination {t_sub:.3f} s, ratio {t_sub / t_fast:.1f}x, "
          f"max relative difference {np.max(np.abs(g - g_sub) / np.abs(g_sub)):.1e}")


if __name__ == "__main__":
    main()
