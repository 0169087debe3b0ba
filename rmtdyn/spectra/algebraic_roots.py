"""Fast Stieltjes transform of an ALGEBRAIC law: batched polynomial roots + a branch rule.

If ``g(z)`` solves ``P(g, z) = sum_k c_k(z) g^k = 0`` (``c_k`` polynomials in ``z``, from
``spec.equation()``), then for many ``z`` at once all roots in ``g`` come from closed forms
(degree <= 4: the quadratic formula, Cardano, Ferrari; ``rmtdyn.solvers.polyroots``), the
Aberth-Ehrlich iteration (degree >= 5) or a stack of balanced companion matrices (wherever
those are inaccurate). The physical root is selected by rules that are correct by construction
(convention: ``g(z) = ∫ rho(x)/(z - x) dx``, so ``Im g < 0`` for ``Im z > 0`` and
``g ~ 1/z`` at infinity).

**Working variable.** With an atom ``(x0, m0)`` (the heaviest one) the roots are those of
``U(u, s)``, the exact equation of the continuous part ``u = g - m0/(z - x0)``
(``rmtdyn.symbolic.puiseux.regular_part``; next to a heavy atom ``g`` and a spurious root
both approach ``m0/(z - x0)`` and the roots of ``P`` cannot resolve ``u``).

1. ``Im z >= delta``: ``g(z) = ∫ rho(x) dx/(z - x)`` is an average of the points
   ``1/(z - x)``, ``x`` in the hull ``[lo, hi]`` of the law (support and atoms), which lie
   on an arc of the circle ``|w + i/(2y)| = 1/(2y)`` (``y = Im z``). So the physical root
   lies in the convex hull of that arc: the circular segment cut off by the chord from
   ``1/(z - lo)`` to ``1/(z - hi)`` (the arc runs clockwise, so it lies to the left of the
   directed chord). With ``tol = 1e-11 |g| + 10 e`` (``e`` = size of the next Newton step,
   an estimate of the root's error) we accept a point only if EXACTLY ONE root is not
   outside the segment by more than ``tol``: the physical root lies in the closed segment,
   so it is that root. (A root on the boundary is the rule when the continuous part is
   concentrated far from ``z``.) For ``|z| > 10 scale`` we also require
   ``|z g - 1| < 1/2``. The test is applied to the continuous part normalised to mass one,
   ``(g - sum_j m_j/(z - x_j)) / (1 - sum_j m_j)``, an average over the same arc.
   1b. Where two roots lie in the segment (it happens for equations of high degree a few
   tenths of the scale above the support), rule 1 is applied at ``Re z + i 2^k Im z`` for
   the lowest ``k`` that decides (the segment shrinks like ``1/Im z``), and the root is
   followed back down the rungs ``2^(k-1) Im z, ..., Im z`` as in rule 2.
2. ``0 <= Im z < delta`` (including the real axis, ``z = x + i0``): ``g`` is continuous up
   to the axis (Hölder-1/2 at square-root edges). We compute the reference ``g_ref`` at
   ``Re z + i delta`` by rule 1 (if rule 1 does not decide there, at ``delta 10^k``,
   ``k <= max(RULE2_RUNGS, the first rung at the scale)``, and come down the rungs
   ``delta 10^j`` one by one, a rung that fails in four substeps of ``10^(1/4)``) and
   take the root nearest to it, accepting
   each step only if it is clearly separated,
   ``|g - g_ref| < |g' - g_ref| / 4`` for every other root ``g'`` (the continuity error is
   ``O(delta |g'|)``, ``O(sqrt(delta))`` near square-root edges, where the merging roots
   make the separation test fail), and ``Im g <= 1e-10 |g|``. The height is
   ``delta = 1e-6 min(scale, smallest spacing of the candidate edges)``
   (``near_axis_height``): all edges are real zeros of the discriminant, so a second bulk
   or a gap far below the scale (at 1e-8 of it, say) is never within ``delta``.
3. Every chosen root takes one Newton step on ``P`` (kept only if it lowers ``|P|``); it
   must reach the relative residual ``|P| / sum_k |c_k| |g|^k <= 1e-12``. On the real axis
   a root whose imaginary part is below its error (``|P/P'| + 4 eps |g|``) is made real.
4. Near an atom, or the lower end of the hull (a hard edge or an atom at 0 for laws on
   ``[0, inf)``), where ``g`` blows up, the physical branch's certified Newton-Puiseux
   expansion is used instead (``rmtdyn.spectra.local_expansion``).
5. Points still undecided (exactly on square-root edges, where two roots merge; structure
   far below ``1e-6`` of the scale): rules 1-3 in mpmath at 50, then 100 digits on the
   exact working polynomial (about 10 ms a point; ``_high_precision_rule``). All of them
   when there are at most ``HIGH_PRECISION_MAX`` in a call, else those within
   ``1e-3 scale`` of an atom or hull end; the rest are left to the caller's general
   (subordination / continuation) solver.
6. On an atom, ``z = x0 + i0``, the pole gives ``g = -i inf`` (as for every rmtdyn law).

Rules 4 and 5 and the working variable need exact (rational) coefficients; laws whose
equation has floating-point coefficients use rules 1-3 only.

Speed. The work is elementwise, so it is done on blocks of ``BLOCK`` points: their
temporaries stay in the CPU cache and below the allocator's 128 kB mmap threshold (about 2x
faster than whole arrays here). Each point is computed independently, so the result does not
depend on the block size. Coefficients are evaluated from the non-zero monomials of ``P``.
A block makes about a hundred 96 kB temporaries; glibc gives the free top of its heap back
to the kernel once it exceeds the trim threshold (128 kB until the process first frees a
large mmapped block), and every block then faults its pages in again: 25-35% of the time
measured here, and the main source of run-to-run noise. ``_keep_freed_heap`` raises that
threshold once per process by glibc's own rule (freeing an 8 MB mmapped block sets the mmap
threshold to 8 MB and the trim threshold to 16 MB), as any program that frees a large numpy
array does; elsewhere it is a no-op.
"""

from __future__ import annotations

import math
from functools import cache, cached_property

import numpy as np

from rmtdyn.solvers.polyroots import aberth_roots, closed_form_roots, polynomial_roots

__all__ = ["AlgebraicRoots", "BLOCK"]

#: digits of the high-precision rule 5, and its zone: |z - x0| < zone * scale
HIGH_PRECISION_DPS = 50
HIGH_PRECISION_ZONE = 1e-3
#: up to this many undecided points per call go to rule 5 wherever they are
HIGH_PRECISION_MAX = 64

#: rule 2 looks for its reference up to the height delta 10^RULE2_RUNGS at least (and up
#: to the scale: ``rule2_rungs``)
RULE2_RUNGS = 7

#: rule 1b climbs up to the height 2^CLIMB_RUNGS Im z
CLIMB_RUNGS = 40

#: points per block (6144 complex numbers = 96 kB per array)
BLOCK = 6144

#: degree >= 5: below this many points one LAPACK call on the stacked companion matrices is
#: faster than the Aberth iteration's Python loop (measured for degree 6: 0.12 ms against
#: 1.1 ms at 8 points, 1.6 against 2.6 ms at 128, 6.6 against 4.7 ms at 512)
ABERTH_MIN_POINTS = 256


@cache
def _keep_freed_heap() -> None:
    """Allocate and free one 8 MB buffer (see "Speed" above; once per process)."""
    np.empty(1 << 23, dtype=np.uint8)


def _magnitudes(c: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``|c_d|`` and ``max_k |c_k|`` at every point (is the leading coefficient small?)."""
    lead = np.abs(c[-1])
    biggest = lead.copy()
    for ck in c[:-1]:
        np.maximum(biggest, np.abs(ck), out=biggest)
    return lead, biggest


def _table(poly) -> np.ndarray:
    """``table[k, j]``: coefficient of ``x^k y^j`` of a bivariate Poly, normalised to max 1.

    Exact rationals are divided by a power of two before the conversion to floats, so that
    coefficients beyond the double range (a parameter like 1e-313 read exactly) still give
    a finite table; the roots do not change."""
    import sympy as sp

    dx, dy = poly.degree(poly.gens[0]), poly.degree(poly.gens[1])
    table = np.zeros((dx + 1, dy + 1))
    terms = poly.terms()
    if all(isinstance(c, sp.Rational) for _, c in terms):
        top = max(int(c.p).bit_length() - int(c.q).bit_length() for _, c in terms if c != 0)
        shift = sp.Integer(2) ** top
        terms = [(kj, c / shift) for kj, c in terms]
    for (k, j), c in terms:
        table[k, j] = float(c)
    return table / np.max(np.abs(table))


def _monomials(table: np.ndarray) -> list[list[tuple[int, float]]]:
    return [[(j, t) for j, t in enumerate(row) if t != 0.0] for row in table]


class AlgebraicRoots:
    """Numeric coefficient table of ``P(g, z)`` and the branch-safe root selection above.

    Parameters
    ----------
    poly
        sympy ``Poly`` in ``(G, Z)`` (``rmtdyn.symbolic.symbols``) with real coefficients.
    hull
        ``(lo, hi)`` containing the support and the atoms (sets ``scale = max(|lo|, |hi|,
        hi - lo)``, ``delta = 1e-6 scale`` and "large |z|" = ``10 scale``).
    atoms
        ``(location, mass)`` pairs of the law. Rule 1 is then applied to the continuous part
        ``(g - sum_j m_j/(z - x_j)) / (1 - sum_j m_j)`` (also an average of ``1/(z - x)`` over
        ``[lo, hi]``), which separates the roots of atom-dominated laws.
    """

    def __init__(self, poly, hull: tuple[float, float], atoms=()):
        from rmtdyn.symbolic.symbols import G, Z

        p = poly.as_poly(G, Z)
        #: coefficient of g^k as a polynomial in z: table[k, j] z^j (normalised)
        self.table = _table(p)
        self._p_terms = _monomials(self.table)
        self.lo, self.hi = float(hull[0]), float(hull[1])
        self.atom_loc = np.array([float(x) for x, _ in atoms])
        self.atom_mass = np.array([float(m) for _, m in atoms])
        if self.atom_mass.sum() >= 1.0:  # no continuous part: nothing to solve for
            self.atom_loc, self.atom_mass = np.zeros(0), np.zeros(0)
        self.scale = max(abs(self.lo), abs(self.hi), self.hi - self.lo, 1e-300)
        self.delta = 1e-6 * self.scale
        # local expansions (rule 4) and the atom variable need exact coefficients
        self._poly = p if p.domain.is_ZZ or p.domain.is_QQ else None
        sites = {float(x) for x in self.atom_loc} | {self.lo}
        self._sites = sorted(sites) if self._poly is not None else []
        self._local: dict = {}
        # Working variable. With an atom (x0, m0) the roots are solved for the continuous
        # part u = g - m0/(z - x0), from U(u, s) = s^d P(m0/s + u, x0 + s) / s^r (s = z - x0,
        # exact; rmtdyn.symbolic.puiseux.regular_part): next to a heavy atom g and a spurious
        # root both approach m0/(z - x0) and the roots of P cannot resolve u.
        self._shift, self._pole = 0.0, 0.0
        work = self.table
        #: the working polynomial in exact arithmetic (for the high-precision rule 5)
        self._work_exact = self._poly
        if self._poly is not None and self.atom_mass.size:
            work = self._atom_variable(int(np.argmax(self.atom_mass)))
        self.degree = work.shape[0] - 1
        #: non-zero monomials ``(j, t)`` of the working c_k(s) = sum t s^j, and of c_k'(s)
        self._terms = _monomials(work)
        self._dterms = [[(j - 1, j * t) for j, t in terms if j > 0] for terms in self._terms]
        other = np.ones(self.atom_loc.size, dtype=bool)
        if self._pole:
            other[int(np.argmax(self.atom_mass))] = False
        self._other_loc, self._other_mass = self.atom_loc[other], self.atom_mass[other]

    def _atom_variable(self, i: int) -> np.ndarray:
        """Table of ``U(u, s)`` for the atom ``i`` (sets the shift and pole), or ``P``'s."""
        from rmtdyn.symbolic.puiseux import atom_residue, regular_part

        x0, mass = float(self.atom_loc[i]), float(self.atom_mass[i])
        try:
            m = atom_residue(self._poly, x0, mass)
        except (ValueError, NotImplementedError):
            return self.table
        if m is None:
            return self.table
        u_poly = regular_part(self._poly, x0, m)
        self._shift, self._pole = x0, float(m)
        self._work_exact = u_poly
        return _table(u_poly)

    # ---------------------------------------------------------------- polynomials
    def coefficients(self, z: np.ndarray) -> np.ndarray:
        """``c[n, k] = c_k(z_n)`` of ``P(g, z)`` (normalised), shape ``(len(z), deg_g + 1)``."""
        z = np.asarray(z, dtype=complex)
        return np.stack(self._coefficient_list(z, self._p_terms), axis=-1)

    def _coefficient_list(self, z, terms) -> list[np.ndarray]:
        """``[c_0(z), ..., c_d(z)]`` from the non-zero monomials ``terms[k]``."""
        top = max((j for row in terms for j, _ in row), default=0)
        powers = [np.ones(z.shape, dtype=complex), z]
        for _ in range(2, top + 1):
            powers.append(powers[-1] * z)
        out = []
        for row in terms:
            ck = np.zeros(z.shape, dtype=complex)
            for j, t in row:
                if j == 0:
                    ck += t
                else:
                    ck += t * powers[j]
            out.append(ck)
        return out

    def _working_coefficients(self, z: np.ndarray) -> list[np.ndarray]:
        """``[c_0, ..., c_d]`` of the working polynomial at ``z`` (in ``s = z - x0``)."""
        return self._coefficient_list(z - self._shift if self._shift else z, self._terms)

    def _eval(self, c: list[np.ndarray], g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(P, dP/dg)`` at ``g`` (Horner, in place)."""
        d = self.degree
        if d == 0:
            return c[0].copy(), np.zeros(g.shape, dtype=complex)
        dp = c[d].copy()
        p = c[d] * g
        p += c[d - 1]
        for k in range(d - 2, -1, -1):
            dp *= g
            dp += p
            p *= g
            p += c[k]
        return p, dp

    def _roots(self, c: list[np.ndarray]):
        """All roots (a list of ``degree`` arrays), ``P`` and ``P'`` at them, their error
        estimates and the finiteness test.

        Closed forms first (degree <= 4), the Aberth-Ehrlich iteration for degree >= 5
        (companion eigenvalues for batches below ``ABERTH_MIN_POINTS``).
        They lose the small roots when the roots span many orders of magnitude (a nearly
        vanishing leading coefficient, extreme ratios); points where a root's error estimate
        exceeds ``1e-8`` of its size, or where the iteration did not converge, are redone
        with balanced companion eigenvalues (LAPACK ``geev``). Where the
        leading coefficient (nearly) vanishes (e.g. at ``z = 0``, where the degree drops)
        the companion matrix of the reversed polynomial gives ``h = 1/g`` (``h = 0``: a root
        at infinity, outside every region of rule 1).
        """
        ok = np.isfinite(c[0])
        for ck in c[1:]:
            ok &= np.isfinite(ck)
        lead = biggest = None  # |c_d| and max_k |c_k|, computed when needed
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.degree <= 4:
                roots = closed_form_roots(c)
                redo = np.zeros(ok.shape, dtype=bool)
            elif ok.size >= ABERTH_MIN_POINTS:
                roots, converged = aberth_roots(c)
                redo = ~converged
            else:  # a small batch: companion eigenvalues (polynomial_roots) directly
                roots = [np.full(ok.shape, np.nan + 0j) for _ in range(self.degree)]
                lead, biggest = _magnitudes(c)
                fine = ok & (lead > 1e-13 * biggest)
                if fine.any():
                    found = polynomial_roots(np.stack([ck[fine] for ck in c], axis=-1))
                    for i, r in enumerate(roots):
                        r[fine] = found[:, i]
                redo = ~fine  # the rest as below (reversed polynomial, two-sided)
            ps, dps, errs = self._evaluate_roots(c, roots)
            redo |= self._inaccurate(roots, errs)
            redo &= ok
            if not redo.any():  # the usual case: every root is accurate
                return roots, ps, dps, errs, ok
            if lead is None:
                lead, biggest = _magnitudes(c)
            small = redo & ~(lead > 1e-13 * biggest)
            reverse = small & (np.abs(c[0]) > 1e-13 * biggest)
            both = small & ~reverse  # both ends small: roots at both extremes (two-sided)
            ends = (lead > 0) & (np.abs(c[0]) > 0)
            ok &= ~(both & ~ends)  # an end vanishes exactly: not decided here
            redo &= ~small
            for mask, flip in ((redo, False), (reverse, True)):
                if not mask.any():
                    continue
                sub = [ck[mask] for ck in c]
                r = polynomial_roots(np.stack(sub[::-1] if flip else sub, axis=-1))
                if flip:
                    r = np.where(r == 0, np.inf + 0j, 1.0 / np.where(r == 0, 1.0, r))
                self._store(sub, mask, r, (roots, ps, dps, errs))
            redone = redo | small
            if redone.any():
                bad = self._inaccurate(roots, errs) & redone & ends & ok
                if bad.any():
                    self._two_sided(c, bad, roots, ps, dps, errs)
        return roots, ps, dps, errs, ok

    def _two_sided(self, c, mask, roots, ps, dps, errs):
        """Roots spanning more orders of magnitude than double precision resolves (next to
        a heavy atom: ``u`` and ``-m0/s``): the companion matrix of ``P`` gives the large
        roots to full relative accuracy, that of the reversed polynomial the small ones.
        The ``k`` largest of the first and ``d - k`` smallest of the second are combined,
        with the ``k`` whose worst relative error estimate is least (in place, at ``mask``).
        """
        d = self.degree
        sub = [ck[mask] for ck in c]
        big = polynomial_roots(np.stack(sub, axis=-1))
        rev = polynomial_roots(np.stack(sub[::-1], axis=-1))
        with np.errstate(divide="ignore", invalid="ignore"):
            small = np.where(rev == 0, np.inf + 0j, 1.0 / np.where(rev == 0, 1.0, rev))
        rows = np.arange(big.shape[0])[:, None]
        big = big[rows, np.argsort(-np.abs(big), axis=1)]
        small = small[rows, np.argsort(np.abs(small), axis=1)]

        def relative_errors(cand):
            _, _, e = self._evaluate_roots(sub, [cand[:, i] for i in range(d)])
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.stack(e, axis=-1) / np.abs(cand)
            rel[~np.isfinite(rel)] = np.inf
            return rel

        rel_big, rel_small = relative_errors(big), relative_errors(small)
        # worst error of the combination "k largest + (d - k) smallest", k = 0..d
        lead_worst = np.maximum.accumulate(rel_big, axis=1)
        tail_worst = np.maximum.accumulate(rel_small, axis=1)
        cost = np.full((big.shape[0], d + 1), np.inf)
        cost[:, 0] = tail_worst[:, -1]
        cost[:, d] = lead_worst[:, -1]
        for k in range(1, d):
            cost[:, k] = np.maximum(lead_worst[:, k - 1], tail_worst[:, d - k - 1])
        best = np.argmin(cost, axis=1)
        take_big = np.arange(d)[None, :] < best[:, None]
        # column i: the i-th largest if i < k, else the (i - k)-th smallest
        idx_small = np.clip(np.arange(d)[None, :] - best[:, None], 0, d - 1)
        self._store(sub, mask, np.where(take_big, big, small[rows, idx_small]),
                    (roots, ps, dps, errs))

    @staticmethod
    def _inaccurate(roots, errs) -> np.ndarray:
        """Points where some root's error estimate exceeds ``1e-8`` of its size."""
        good = np.ones(errs[0].shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            for r, e in zip(roots, errs, strict=True):
                good &= e <= 1e-8 * np.abs(r)  # False for nan
        return ~good

    def _store(self, sub, mask, found, targets):
        """Write the roots ``found`` (shape ``(mask.sum(), d)``, of the coefficients ``sub``)
        and their ``P``, ``P'`` and error estimates into ``targets`` at ``mask``."""
        new = [np.ascontiguousarray(found[:, i]) for i in range(self.degree)]
        for i, values in enumerate(zip(new, *self._evaluate_roots(sub, new), strict=True)):
            for target, value in zip(targets, values, strict=True):
                target[i][mask] = value

    def _evaluate_roots(self, c, roots):
        """``P`` and ``P'`` at each root and ``|P/P'|``, the size of the next Newton step
        (the root's error estimate; ``inf`` where undefined, so that a root at infinity,
        ``inf <= 1e-8 inf``, counts as accurate)."""
        ps, dps, errs = [], [], []
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for r in roots:
                p, dp = self._eval(c, r)
                e = np.abs(p)
                e /= np.abs(dp)
                np.copyto(e, np.inf, where=np.isnan(e))
                ps.append(p)
                dps.append(dp)
                errs.append(e)
        return ps, dps, errs

    # ---------------------------------------------------------------- the rules
    def _upper_rule(self, z, c):
        """Rule 1 for ``Im z > 0``: (g, P(g), P'(g), accepted)."""
        roots, ps, dps, errs, ok = self._roots(c)
        y = z.imag
        if self.atom_mass.size:
            # roots are of the working variable (g, or u = g - m0/(z - x0)): subtract the
            # remaining atoms' poles; w is the continuous part normalised to mass one
            poles = np.zeros(z.shape, dtype=complex)
            for loc, mass in zip(self._other_loc, self._other_mass, strict=True):
                poles += mass / (z - loc)
            atom_scale = 1.0 / (1.0 - self.atom_mass.sum())
        lo, hi = self.lens
        count = np.zeros(z.shape, dtype=np.int8)
        g = np.zeros(z.shape, dtype=complex)
        gp = np.zeros(z.shape, dtype=complex)
        gdp = np.zeros(z.shape, dtype=complex)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a = 1.0 / (z - lo)
            b = 1.0 / (z - hi)
            # x -> 1/(z - x) runs clockwise round the circle, so the arc from a (x = lo) to
            # b (x = hi) lies to the left of the directed chord a -> b. With the unit
            # direction k = (b - a)/|b - a|, w conj(k) has real part the position along the
            # chord and imaginary part the signed distance to its line (plus an offset):
            # positive on the side of the arc
            ab = b - a
            nab = np.abs(ab)
            degenerate = ~(nab > 0)
            kc = np.conj(ab) / nab
            # the chord's offsets Im(e conj(k)) at its ends e = a, b, and the position
            # Re(w conj(k)) of the points equidistant from them
            off_a = (a * kc).imag
            off_b = (b * kc).imag
            mid = 0.5 * (np.abs(a) ** 2 - np.abs(b) ** 2) / nab
            np.negative(mid, out=mid)
            if degenerate.any():
                off_a[degenerate] = off_b[degenerate] = -np.inf
            for r, p, dp, e in zip(roots, ps, dps, errs, strict=True):
                if self.atom_mass.size:
                    w = (r - poles) * atom_scale
                    e = e * atom_scale
                else:
                    w = r
                aw = np.abs(w)
                tol = 1e-11 * aw
                tol += 10.0 * e
                # signed distance outside the disk |w + i/(2y)| <= 1/(2y), to first order
                # near its boundary: y |w|^2 + Im w (negative inside; no cancellation)
                aw *= aw
                aw *= y
                d_disk = aw
                d_disk += w.imag
                # signed distance to the chord, positive on the side of the arc, measured
                # from the chord's end nearer to w (its rounding error, eps times the larger
                # of |w| and that end, stays below tol even when z is close to an end of the
                # hull and that end of the chord is huge)
                t = w * kc
                d_chord = t.imag - np.where(t.real > mid, off_b, off_a)
                # not outside by more than tol (rounding cannot move it out; nan: inside)
                outside = d_disk > tol
                np.negative(tol, out=tol)
                outside |= d_chord < tol
                inside = ~outside
                count += inside
                np.copyto(g, r, where=inside)
                np.copyto(gp, p, where=inside)
                np.copyto(gdp, dp, where=inside)
        ok &= count == 1
        far = np.abs(z) > 10.0 * self.scale
        if far.any():
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                full = g + self._pole / (z - self._shift) if self._pole else g
                ok &= ~far | (np.abs(z * full - 1.0) < 0.5)
        return g, gp, gdp, ok

    def _near_axis_rule(self, z, c):
        """Rule 2 for ``0 <= Im z < delta``: (g, P(g), P'(g), accepted)."""
        delta = self.near_axis_height
        x = z.real
        # the reference: rule 1 at the lowest height delta 10^k (k <= rule2_rungs) that decides
        ref, level = self._lowest_deciding(x, range(self.rule2_rungs + 1),
                                           lambda k, todo: delta * 10.0**k)
        ok = level >= 0
        # down the rungs delta 10^k -> delta 10^(k-1) -> ... -> delta, then to z itself: each
        # step takes the nearest root and needs it 4x nearer than any other
        for k in range(int(level.max(initial=0)), 0, -1):
            idx = np.flatnonzero(ok & (level >= k))
            if not idx.size:
                continue
            new, step_ok = self._follow(x[idx], ref[idx], delta * 10.0 ** (k - 1))
            # a step that fails is retried in four substeps of 10^(1/4)
            retry = np.flatnonzero(~step_ok)
            if retry.size:
                sub, sub_ok = ref[idx[retry]], np.ones(retry.size, dtype=bool)
                for j in (3, 2, 1, 0):
                    sub, okj = self._follow(x[idx[retry]], sub, delta * 10.0 ** (k - 1 + j / 4))
                    sub_ok &= okj
                new[retry], step_ok[retry] = sub, sub_ok
            ref[idx] = new
            ok[idx] &= step_ok
        roots, _, _, _, okr = self._roots(c)
        g, sep_ok = self._nearest(ref, roots)
        ok &= okr & sep_ok
        with np.errstate(invalid="ignore"):
            # Herglotz: on/near the axis the physical root cannot be in the upper half plane
            ok &= g.imag <= 1e-10 * np.abs(g)
        g[~ok] = 0.0
        p, dp = self._eval(c, g)
        return g, p, dp, ok

    def _climb_rule(self, z, c):
        """Rule 1b for ``Im z >= delta`` where rule 1 does not decide (two roots in the
        segment): rule 1 at ``Re z + i y 2^k`` for the lowest ``k <= CLIMB_RUNGS`` that
        decides, then down the rungs ``y 2^(k-1), ..., y`` taking the nearest root, each step
        accepted only if it is 4x nearer than any other (as in rule 2)."""
        x, y = z.real, z.imag
        ref, level = self._lowest_deciding(x, range(1, CLIMB_RUNGS + 1),
                                           lambda k, todo: y[todo] * 2.0**k)
        ok = level > 0
        for k in range(int(level.max(initial=0)), 0, -1):
            idx = np.flatnonzero(ok & (level >= k))
            ref[idx], step_ok = self._follow(x[idx], ref[idx], y[idx] * 2.0 ** (k - 1))
            ok[idx] &= step_ok
        g = np.where(ok, ref, 0.0)
        p, dp = self._eval(c, g)
        return g, p, dp, ok

    def _lowest_deciding(self, x, rungs, height):
        """Rule 1 at ``x + i height(k, todo)`` for the rungs ``k`` in order, each on the points
        ``todo`` not yet decided: ``(ref, level)``, the root and the first rung that decides
        (``-1``: none)."""
        ref = np.zeros(x.shape, dtype=complex)
        level = np.full(x.shape, -1)
        for k in rungs:
            todo = np.flatnonzero(level < 0)
            if not todo.size:
                break
            zk = x[todo] + 1j * height(k, todo)
            gk, _, _, okk = self._upper_rule(zk, self._working_coefficients(zk))
            ref[todo[okk]] = gk[okk]
            level[todo[okk]] = k
        return ref, level

    def _follow(self, x, ref, height):
        """The root at ``x + i height`` nearest ``ref``, and whether it is 4x nearer than any
        other (one rung of rules 1b and 2)."""
        zk = x + 1j * height
        roots, _, _, _, okr = self._roots(self._working_coefficients(zk))
        new, sep_ok = self._nearest(ref, roots)
        return new, okr & sep_ok

    @staticmethod
    def _nearest(ref, roots):
        """The root nearest ``ref``; accepted if 4x nearer than the next (rule 2)."""
        best = np.full(ref.shape, np.inf)
        second = np.full(ref.shape, np.inf)
        g = np.zeros(ref.shape, dtype=complex)
        with np.errstate(invalid="ignore"):
            for r in roots:
                dist = np.abs(r - ref)
                dist[~np.isfinite(dist)] = np.inf
                closer = dist < best
                second = np.where(closer, best, np.minimum(second, dist))
                best = np.where(closer, dist, best)
                g = np.where(closer, r, g)
        return g, best < 0.25 * second

    @cached_property
    def _candidate_edges(self) -> np.ndarray:
        """The real zeros of the discriminant of ``P`` in ``g`` (``rmtdyn.symbolic.support``,
        to ~1e-15 relative; every edge of the support, a gap, an atom or a second bulk is
        among them), sorted; empty without exact coefficients."""
        if self._poly is not None:
            from rmtdyn.symbolic.support import support_edges_from_equation

            try:
                return np.asarray(support_edges_from_equation(self._poly), dtype=float)
            except (ValueError, NotImplementedError):
                pass
        return np.zeros(0)

    def _leading_zeros(self) -> np.ndarray:
        """Real zeros of the leading coefficient of ``P`` in ``g`` (a root goes to infinity
        there: atoms, hard edges); empty without exact coefficients."""
        if self._poly is None:
            return np.zeros(0)
        import sympy as sp

        from rmtdyn.symbolic.support import real_roots
        from rmtdyn.symbolic.symbols import G, Z

        lead = self._poly.as_poly(G).LC()
        if not sp.sympify(lead).has(Z):
            return np.zeros(0)
        zeros: list[float] = []
        for factor, _ in sp.Poly(lead, Z).sqf_list()[1]:
            zeros += real_roots(factor)
        return np.asarray(zeros, dtype=float)

    @cached_property
    def lens(self) -> tuple[float, float]:
        """Rule 1's interval: the hull ``[lo, hi]`` narrowed to the outermost candidate
        edges, zeros of the leading coefficient and atoms inside it, widened by ``1e-12
        scale``. It still contains the support (its ends are edges, hard edges or atoms);
        a loose hull (e.g. a free product's bound) leaves spurious roots inside the lens,
        where rule 1 then does not decide."""
        lo, hi = self.lo, self.hi
        marks = np.concatenate([self._candidate_edges, self._leading_zeros(), self.atom_loc])
        marks = marks[(marks >= lo) & (marks <= hi)]
        if marks.size:
            pad = 1e-12 * self.scale
            lo, hi = max(lo, float(marks.min()) - pad), min(hi, float(marks.max()) + pad)
        return lo, hi

    @cached_property
    def rule2_rungs(self) -> int:
        """Rule 2's highest rung ``k`` (height ``delta 10^k``): ``RULE2_RUNGS``, or more, up to
        the first rung at or above the scale (a small ``delta``, from closely spaced
        candidate edges, would otherwise stop the ladder below the height where rule 1
        decides inside a wide bulk)."""
        reach = math.ceil(math.log10(self.scale / self.near_axis_height))
        return max(RULE2_RUNGS, reach)

    @cached_property
    def near_axis_height(self) -> float:
        """``delta`` of rule 2: ``1e-6 min(scale, the smallest spacing of the candidate
        edges)`` (``_candidate_edges``), so that no edge lies within ``delta`` of a point
        unless it is an edge itself."""
        gaps = np.diff(self._candidate_edges)
        gaps = gaps[gaps > 0]
        return 1e-6 * min(self.scale, float(gaps.min())) if gaps.size else 1e-6 * self.scale

    # ---------------------------------------------------------------- public
    def stieltjes(self, z: np.ndarray, derivative: bool = True):
        """``(g, dg/dz, accepted)`` for a 1-D array ``z`` with ``Im z >= 0``
        (``derivative=False``: ``dg`` is not computed and is returned as ``None``)."""
        z = np.ascontiguousarray(z, dtype=complex).ravel()
        if z.size > BLOCK:
            _keep_freed_heap()
        g = np.empty(z.shape, dtype=complex)
        dg = np.empty(z.shape, dtype=complex) if derivative else None
        acc = np.empty(z.shape, dtype=bool)

        def put(idx, values):
            g[idx], acc[idx] = values[0], values[2]
            if derivative:
                dg[idx] = values[1]

        for start in range(0, z.size, BLOCK):
            sl = slice(start, start + BLOCK)
            put(sl, self._stieltjes_block(z[sl], derivative=derivative))
        for x0 in self._sites:
            near = np.abs(z - x0) < 0.1 * self.scale
            if near.any():
                branch = self.local_branch(x0)
                if branch is not None:
                    inside = np.flatnonzero(near)[np.abs(z[near] - x0) < branch.radius]
                    if inside.size:
                        put(inside, (*branch.evaluate(z[inside]), True))
        # rule 5: undecided points in mpmath
        if self._work_exact is not None and not acc.all():
            near = ~acc
            if near.sum() > HIGH_PRECISION_MAX and self._sites:
                gap = np.min(np.abs(z[:, None] - np.array(self._sites)[None, :]), axis=1)
                near &= gap < HIGH_PRECISION_ZONE * self.scale
            if near.any():
                idx = np.flatnonzero(near)
                put(idx, self._high_precision_rule(z[idx]))
        # on an atom (z = x0 + i0) g is its pole: the limit from above is -i inf
        for x0 in self.atom_loc:
            at = z == x0
            if at.any():
                put(at, (complex(0.0, -np.inf), complex(-np.inf, 0.0), True))
        return g, dg, acc

    def stieltjes_with_fallback(self, fallback, z: np.ndarray, derivative: bool = True):
        """``(g, g')`` at ``z`` (1-D, ``Im z >= 0``) from these rules where they decide, from
        ``fallback(z) -> (g, g')`` (the law's general solver) elsewhere; ``derivative=False``:
        ``g'`` is not computed (``None``)."""
        g, dg, acc = self.stieltjes(z, derivative)
        if not acc.all():
            rest = fallback(z[~acc])
            g[~acc] = rest[0]
            if derivative:
                dg[~acc] = rest[1]
        return g, dg

    def local_branch(self, x0: float):
        """Rule 4: the certified local expansion at the atom or hull end ``x0`` (or ``None``;
        ``rmtdyn.spectra.local_expansion``). Near ``x0`` it replaces rules 1-3."""
        if self._poly is None:
            return None
        if x0 not in self._local:
            from rmtdyn.spectra.local_expansion import physical_local_branch

            mass = float(sum(m for x, m in zip(self.atom_loc, self.atom_mass, strict=True)
                             if x == x0))

            def reference(zt):
                zt = np.asarray(zt, dtype=complex)
                g, _, acc = self._stieltjes_block(zt, True)
                if not acc.all():
                    g[~acc], _, acc[~acc] = self._high_precision_rule(zt[~acc])
                return g, acc

            self._local[x0] = physical_local_branch(self._poly, x0, mass, self.scale,
                                                    reference, max_radius=0.1 * self.scale)
        return self._local[x0]

    def _high_precision_rule(self, z: np.ndarray):
        """Rule 5 at ``HIGH_PRECISION_DPS`` digits, then at twice that for what is left."""
        g, dg, acc = self._high_precision_rule_at(z, HIGH_PRECISION_DPS)
        if not acc.all():
            left = ~acc
            g[left], dg[left], acc[left] = self._high_precision_rule_at(
                z[left], 2 * HIGH_PRECISION_DPS)
        return g, dg, acc

    def _high_precision_rule_at(self, z: np.ndarray, dps: int):
        """Rules 1-3 at ``dps`` digits (mpmath), point by point: ``(g, g', acc)``.

        The working polynomial's coefficients are exact rationals, its roots come from
        ``_mp_roots``; rule 1 for ``Im z > 0``, and where it does not decide, rule 2 with the
        reference at height ``delta = 10^(15 - dps) scale`` or, next to an atom or hard edge
        at distance ``d``, ``delta d/scale``, or else at the heights ``near_axis_height 10^k``
        (``k <= RULE2_RUNGS``) of the double-precision rule 2, each in one step; each root
        with the tolerance ``10^(10 - dps) |w| + 10 |P/P'|``. Used where double precision
        cannot resolve the law (square-root edges, structure far below ``1e-6`` of its
        scale).
        """
        import mpmath

        g = np.full(z.shape, np.nan + 0j)
        dg = np.full(z.shape, np.nan + 0j)
        acc = np.zeros(z.shape, dtype=bool)
        poly = self._work_exact
        gens = poly.gens
        terms = [((k, j), mpmath.mpf(int(c.p)) / int(c.q)) for (k, j), c in poly.terms()]
        deg = poly.degree(gens[0])
        with mpmath.workdps(dps):
            lo, hi = (mpmath.mpf(x) for x in self.lens)
            tol = mpmath.mpf(10) ** (10 - dps)
            # rule 2 height: far above the tolerance (rule 1 stays decisive there) and far
            # below the root separation next to a square-root edge given in double precision
            delta = mpmath.mpf(10) ** (15 - dps) * self.scale

            def coeffs(zz):
                sz = zz - self._shift
                c = [mpmath.mpc(0)] * (deg + 1)
                dc = [mpmath.mpc(0)] * (deg + 1)
                for (k, j), t in terms:
                    c[k] += t * sz**j
                    if j:
                        dc[k] += j * t * sz ** (j - 1)
                return c, dc

            def roots_at(zz):
                c, dc = coeffs(zz)
                if c[-1] == 0:
                    return None, c, dc
                return _mp_roots(c), c, dc

            def upper(zz):
                roots, c, _ = roots_at(zz)
                if roots is None:
                    return None
                dcoef = [k * ck for k, ck in enumerate(c)][:0:-1]
                y = zz.imag
                poles = sum(m / (zz - x) for x, m in zip(self._other_loc, self._other_mass,
                                                        strict=True))
                scale = 1 / (1 - mpmath.mpf(float(self.atom_mass.sum())))
                a, b = 1 / (zz - lo), 1 / (zz - hi)
                ab = b - a  # the arc lies to the left of a -> b (see _upper_rule)
                inside = []
                for r in roots:
                    w = (r - poles) * scale
                    slope = mpmath.polyval(dcoef, r)
                    err = abs(mpmath.polyval(c[::-1], r) / slope) if slope != 0 else mpmath.inf
                    t = tol * abs(w) + 10 * err * scale
                    d_disk = y * abs(w) ** 2 + w.imag
                    end = b if abs(w - b) < abs(w - a) else a  # the chord's nearer end
                    d_chord = (mpmath.im(mpmath.conj(ab) * (w - end)) / abs(ab)
                               if abs(ab) > 0 else mpmath.inf)
                    if not (d_disk > t or d_chord < -t):
                        inside.append(r)
                return inside[0] if len(inside) == 1 else None

            sites = [mpmath.mpf(x) for x in self._sites]

            def nearest(zz, height):
                """Rule 2: the root at zz nearest the rule-1 root at Re zz + i height."""
                ref = upper(mpmath.mpc(zz.real, height))
                roots, _, _ = roots_at(zz)
                if ref is None or roots is None:
                    return None
                dist = sorted((abs(r - ref), j) for j, r in enumerate(roots))
                u = roots[dist[0][1]]
                if len(dist) > 1 and not dist[0][0] < dist[1][0] / 4:
                    # exactly on a square-root edge the two nearest roots coincide (to
                    # ~10^(-dps/2)): their common value is g
                    other = roots[dist[1][1]]
                    merged = abs(u - other) <= mpmath.mpf(10) ** (-dps // 4) * abs(u)
                    u = (u + other) / 2 if merged else None
                if u is not None and u.imag > tol * abs(u):
                    return None
                return u

            for i, zi in enumerate(z):
                zz = mpmath.mpc(zi.real, zi.imag)
                u = upper(zz) if zz.imag > 0 else None
                # rule 2 at the height delta, and (next to an atom or hard edge, where g varies
                # on the scale of the distance to it) at delta times that distance / scale
                heights = [delta]
                near = min((abs(zz - x) for x in sites), default=mpmath.mpf(0))
                if 0 < near < self.scale:
                    heights.append(delta * near / self.scale)
                # then, where rule 1 is not decisive that low (two roots in the segment next
                # to a heavy atom), the rungs of the double-precision rule 2, in one step each
                heights += [self.near_axis_height * 10.0**k
                            for k in range(self.rule2_rungs + 1)]
                for height in heights:
                    if u is None:
                        u = nearest(zz, height)
                if u is None:
                    continue
                c, dc = coeffs(zz)
                pu = mpmath.polyval([k * ck for k, ck in enumerate(c)][:0:-1], u)
                ps = mpmath.polyval(dc[::-1], u)
                value, slope = u, -ps / pu
                if self._pole:
                    sz = zz - self._shift
                    value, slope = value + self._pole / sz, slope - self._pole / sz**2
                g[i], dg[i], acc[i] = complex(value), complex(slope), True
        return g, dg, acc

    def _stieltjes_block(self, z, upper_only: bool = False, derivative: bool = True):
        """Rules 1-3 on one block: ``(g, g', accepted)`` (``upper_only``: rule 1 for every
        ``Im z > 0``, also below ``delta``; ``derivative=False``: ``g'`` is ``None``)."""
        sz = z - self._shift if self._shift else z
        c = self._working_coefficients(z)
        high = z.imag > 0 if upper_only else z.imag >= self.near_axis_height
        if high.all():
            g, p, dp, acc = self._upper_rule(z, c)
        elif not high.any():
            g, p, dp, acc = self._near_axis_rule(z, c)
        else:
            g, p, dp = (np.empty(z.shape, dtype=complex) for _ in range(3))
            acc = np.empty(z.shape, dtype=bool)
            for mask, rule in ((high, self._upper_rule), (~high, self._near_axis_rule)):
                g[mask], p[mask], dp[mask], acc[mask] = rule(z[mask], [ck[mask] for ck in c])
        redo = high & ~acc
        if redo.any():  # rule 1b
            idx = np.flatnonzero(redo)
            g[idx], p[idx], dp[idx], acc[idx] = self._climb_rule(z[idx], [ck[idx] for ck in c])
        # rule 3: a Newton step (kept only if it lowers |P|) and the residual test
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            trial = g - p / dp
            pt, dpt = self._eval(c, trial)
            ap, apt = np.abs(p), np.abs(pt)
            better = apt < ap
            np.copyto(g, trial, where=better)
            np.copyto(dp, dpt, where=better)
            np.copyto(ap, apt, where=better)
            # on the real axis an imaginary part below the root's error (|P/P'| + 4 eps |g|)
            # is noise of the complex closed forms: the polynomial is real, so the root is
            # made real (within its error, and Im g(x + i0) <= 0 then holds exactly)
            snap = z.imag == 0
            if snap.any():
                snap &= g.imag != 0
                snap &= np.abs(g.imag) <= ap / np.abs(dp) + 4e-16 * np.abs(g)
            if snap.any():
                idx = np.flatnonzero(snap)
                g[idx] = g[idx].real
                ps, dp[idx] = self._eval([ck[idx] for ck in c], g[idx])
                ap[idx] = np.abs(ps)
            ag = np.abs(g)
            size = np.abs(c[-1])
            for ck in c[-2::-1]:
                size *= ag
                size += np.abs(ck)
            acc &= ap <= 1e-12 * size
            dg = None
            if derivative:  # g' = -P_z / P_g by implicit differentiation
                cz = self._coefficient_list(sz, self._dterms)
                pz = cz[-1].copy()
                for ck in cz[-2::-1]:
                    pz *= g
                    pz += ck
                dg = -pz / dp
            if self._pole:  # back from u = g - m0/s to g
                inv = 1.0 / sz
                g = g + self._pole * inv
                if derivative:
                    dg = dg - self._pole * inv * inv
        acc &= np.isfinite(g)
        if derivative:
            acc &= np.isfinite(dg)
            dg[~acc] = np.nan
        g[~acc] = np.nan
        return g, dg, acc


def _mp_roots(c: list) -> list:
    """All roots of ``sum_k c[k] g^k`` (mpmath numbers) at the working precision.

    The roots may span hundreds of orders of magnitude (tiny or huge ``z``), so they are
    found cluster by cluster: every edge ``k1 < k2`` of the upper convex hull of the points
    ``(k, log|c_k|)`` (the Newton polygon) carries ``k2 - k1`` roots of modulus about
    ``rho = |c_k1/c_k2|^(1/(k2 - k1))`` (edges with radii within a factor 1e6 are merged);
    they are the roots, scaled by ``rho``, of the balanced polynomial made of the terms
    ``k1..k2`` (``mpmath.polyroots``, or the companion matrix's eigenvalues where it does
    not converge: multiple roots), then polished by Newton's method on the whole
    polynomial, and finally Durand-Kerner on the whole polynomial from them (which keeps
    close roots apart). Roots that fail the residual check
    ``|P(r)| <= 10^(10 - dps) sum_k |c_k| |r|^k`` are reported as NaN (the caller then
    rejects the point).
    """
    import mpmath

    d = len(c) - 1
    logs = [mpmath.log(abs(x)) if x != 0 else None for x in c]
    pts = [(k, v) for k, v in enumerate(logs) if v is not None]
    hull: list = []
    for pt in pts:  # upper hull (monotone chain)
        while len(hull) >= 2 and ((hull[-1][1] - hull[-2][1]) * (pt[0] - hull[-2][0])
                                  <= (pt[1] - hull[-2][1]) * (hull[-1][0] - hull[-2][0])):
            hull.pop()
        hull.append(pt)
    scale = [abs(x) for x in c]
    dcoef = [k * ck for k, ck in enumerate(c)][:0:-1]
    eps = mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))

    def residual_ok(r):
        size = sum(a * abs(r) ** k for k, a in enumerate(scale))
        return abs(mpmath.polyval(c[::-1], r)) <= eps * size

    # clusters: consecutive edges whose radii are within a factor 1e6 are solved together
    clusters: list = []
    for (k1, v1), (k2, v2) in zip(hull, hull[1:], strict=False):
        radius = (v1 - v2) / (k2 - k1)  # log of the modulus
        if clusters and radius - clusters[-1][2] < mpmath.log(1e6):
            clusters[-1][1] = k2
        else:
            clusters.append([k1, k2, radius])
    roots = [mpmath.mpc(0)] * pts[0][0]  # g = 0, of multiplicity the lowest power
    for k1, k2, _ in clusters:
        rho = (abs(c[k1]) / abs(c[k2])) ** (mpmath.mpf(1) / (k2 - k1))
        sub = [c[k] * rho**k for k in range(k1, k2 + 1)]
        top = max(abs(x) for x in sub)
        sub = [x / top for x in sub]
        n = k2 - k1
        try:
            local = mpmath.polyroots(sub[::-1], maxsteps=100, extraprec=30) if n > 1 \
                else [-sub[0] / sub[1]]
        except mpmath.libmp.libhyper.NoConvergence:
            # (multiple roots: Durand-Kerner converges slowly) companion eigenvalues
            comp = mpmath.zeros(n, n)
            for i in range(1, n):
                comp[i, i - 1] = 1
            for i in range(n):
                comp[i, n - 1] = -sub[i] / sub[n]
            local = list(mpmath.eig(comp, left=False, right=False))
        for h in local:
            r = mpmath.mpc(h) * rho
            for _ in range(60):  # Newton on the whole polynomial, until the residual is met
                if residual_ok(r):
                    break
                slope = mpmath.polyval(dcoef, r)
                if slope == 0:
                    break
                r -= mpmath.polyval(c[::-1], r) / slope
            roots.append(r)
    if len(roots) != d:
        return [mpmath.mpc(mpmath.nan)] * d
    # Close roots (next to a square-root edge) can be lost in the truncation and the Newton
    # steps can merge them: finish with simultaneous iteration (Durand-Kerner) on the whole
    # polynomial from these values, which keeps the roots apart. The starting values are
    # first turned off the real axis by distinct small complex factors (real starting
    # values of a real polynomial would keep Durand-Kerner on the real axis).
    start = [r * (1 + mpmath.mpf(1e-4) * mpmath.expjpi(mpmath.mpf(0.3) + mpmath.mpf(2 * i) / d))
             if r != 0 else r for i, r in enumerate(roots)]
    try:
        roots = mpmath.polyroots(c[::-1], maxsteps=200, extraprec=2 * mpmath.mp.dps,
                                 roots_init=start)
    except mpmath.libmp.libhyper.NoConvergence:
        pass
    return [r if residual_ok(r) else mpmath.mpc(mpmath.nan) for r in roots]
