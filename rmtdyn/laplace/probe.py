r"""Probing F for singularities that a Talbot contour would miss.

A fixed-Talbot contour for time t encloses only a thin region around the
half-line ``(-inf, shift]`` (``|Im s| < 2 M pi/(5t)``), so a singularity off
that half-line (a pole at ``+-i`` for ``sin t``, a pole right of ``shift``) is
missed at large t and the sum silently drops its contribution. The probe
checks Cauchy's theorem on a chain of circles

    centre c = shift + y e^{i phi},  radius 0.75 y,
    phi in {0, pi/4, pi/2},  y = y_lo 2^j <= y_hi,

which stay at distance >= y/4 from the half-line and together cover a cone
around ``shift`` from ``y_lo = 2/t_max`` (slower singularities act like ones on
the axis) to ``y_hi = 100/t_min`` (both clipped to ``1e+-12 (1 + |shift|)``; the
lower half-plane follows by
``F(conj s) = conj F(s)``). For F analytic in a disk the trapezoidal rule
with 256 nodes gives ``(1/2 pi i) oint F ds`` to ~0.75^256 ~ 1e-32 relative;
a value above 1e-10 (relative to the local, or 1e-3 of the global, size of F;
raised to ``1e3 eps |c|/y`` for small circles far from the origin, whose nodes
carry that rounding) flags the disk.

``locate_poles`` then tries to explain every flagged disk by a few simple
poles: with ``u = (s - c)/rho`` the moments ``m_k = (1/2 pi i) oint F u^k ds =
sum_i r_i u_i^k`` are a sum of exponentials, so ``u_i`` are the generalised
eigenvalues of the Hankel pencil ``(H1, H0)`` (Prony) and ``r_i`` follow by
least squares; the fit must reproduce the next moments, or the disk holds
something else (a branch cut) and ``None`` is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rmtdyn.laplace.base import evaluate

PROBE_NODES = 256
RADIUS_FACTOR = 0.75
FLAG_THRESHOLD = 1e-10
DIRECTIONS = (0.0, np.pi / 4, np.pi / 2)
MAX_POLES_PER_DISK = 3
N_MOMENTS = 2 * MAX_POLES_PER_DISK + 2


@dataclass(frozen=True)
class Suspect:
    """A probe disk where ``oint F ds != 0``: centre, radius and the normalised moments."""

    center: complex
    radius: float
    moments: np.ndarray  # m_k = (1/2 pi i) oint F(s) u^k ds, k = 0..N_MOMENTS-1
    scale: float  # threshold scale used to flag the disk


def probe_disks(shift: float, t_min: float, t_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Centres and radii of the probe circles for times in ``[t_min, t_max]``."""
    # scales beyond 1e+-12 (relative to 1 + |shift|) are not probed: extreme times only
    scale = 1.0 + abs(shift)
    y_lo = max(2.0 / t_max, 1e-12 * scale)
    y_hi = max(min(100.0 / t_min, 1e12 * scale), y_lo)
    n_y = max(1, int(np.ceil(np.log2(y_hi / y_lo))) + 1)
    ys = y_lo * 2.0 ** np.arange(n_y)
    centers = (shift + ys[:, None] * np.exp(1j * np.array(DIRECTIONS))[None, :]).ravel()
    radii = np.repeat(RADIUS_FACTOR * ys, len(DIRECTIONS))
    return centers, radii


def _circle_moments(F: Callable, centers: np.ndarray, radii: np.ndarray, n: int, k: int):
    """Moments ``m_j = (1/2 pi i) oint F u^j ds`` (j < k) and ``mean |F|`` on each circle."""
    u = np.exp(2j * np.pi * (np.arange(n) + 0.5) / n)
    s = centers[:, None] + radii[:, None] * u[None, :]
    values = evaluate(F, s)
    # ds = i rho u dtheta, so m_j is the mean of rho F u^{j+1}
    powers = u[None, :] ** np.arange(1, k + 1)[:, None]
    moments = radii[:, None] * (values @ powers.T) / n
    return moments, np.mean(np.abs(values), axis=1)


def find_suspects(F: Callable, shift: float, t_min: float, t_max: float,
                  reference: Callable | None = None) -> list[Suspect]:
    """Probe circles on which ``(1/2 pi i) oint F ds`` is not negligible.

    A disk is flagged when ``|m_0|`` or ``|m_1|`` exceeds ``1e-10`` times
    ``max(rho mean|F|, 1e-3 max_disks(y mean|F|))``: the local size of F, but
    never below a fraction of its global size (so that the rounding of an F
    that is exponentially small on a far circle, like ``exp(-sqrt s)``, is not
    mistaken for a singularity). ``reference`` (default F) sets these sizes.
    """
    centers, radii = probe_disks(shift, t_min, t_max)
    moments, mean_abs = _circle_moments(F, centers, radii, PROBE_NODES, N_MOMENTS)
    if reference is not None:
        _, mean_abs = _circle_moments(reference, centers, radii, PROBE_NODES, 1)
    local = radii * mean_abs
    scale = np.maximum(local, 1e-3 * np.max(np.abs(centers - shift) * mean_abs)) + 1e-300
    # s = c + rho u carries a rounding error ~eps |c|, i.e. ~eps |c|/y relative to the
    # circle: near a far-away shift the threshold must rise above that noise
    y = np.abs(centers - shift)
    threshold = np.maximum(FLAG_THRESHOLD, 1e3 * np.finfo(float).eps * np.abs(centers) / y)
    flagged = (np.abs(moments[:, 0]) > threshold * scale) | (
        np.abs(moments[:, 1]) > threshold * scale
    )
    return [Suspect(complex(centers[i]), float(radii[i]), moments[i], float(local[i]))
            for i in np.flatnonzero(flagged)]


def _prony(moments: np.ndarray, scale: float):
    """Simple poles ``u_i`` (unit-disk coordinates) and residues from the moments, or None."""
    for k in range(1, MAX_POLES_PER_DISK + 1):
        h0 = np.array([[moments[i + j] for j in range(k)] for i in range(k)])
        h1 = np.array([[moments[i + j + 1] for j in range(k)] for i in range(k)])
        try:
            nodes = np.linalg.eigvals(np.linalg.solve(h0, h1))
        except np.linalg.LinAlgError:
            continue
        if np.any(np.abs(nodes) >= 1.0):
            continue
        vander = nodes[None, :] ** np.arange(len(moments))[:, None]
        residues, *_ = np.linalg.lstsq(vander, moments, rcond=None)
        misfit = np.abs(vander @ residues - moments).max()
        if misfit <= 1e-9 * scale:
            return nodes, residues
    return None


def locate_poles(F: Callable, suspects: list[Suspect],
                 shift: float) -> list[tuple[complex, complex]]:
    """Simple poles ``(pole, residue)`` that explain the suspect disks where a Prony fit works.

    Candidates from all disks are clustered (the estimate from the disk where the
    pole is most central wins) and then refined on a small circle around each
    pole (radius 0.3 times its distance to the half-line ``(-inf, shift]`` and to
    the other poles): ``p <- p + rho m_1/m_0``, ``r = m_0``, twice. Candidates
    whose small circle does not look like one simple pole are dropped. Disks no
    fit explains are skipped: ``remove_poles`` re-probes to check nothing is left.
    Poles in the upper half-plane are returned with their conjugates.
    """
    found: list[tuple[complex, float]] = []  # pole, |u|
    for sus in suspects:
        fit = _prony(sus.moments, sus.scale)
        if fit is None:
            continue
        for u in fit[0]:
            pole = sus.center + sus.radius * u
            if abs(pole.imag) <= 1e-8 * (1.0 + abs(pole)):  # a real pole
                found.append((complex(pole.real, 0.0), float(abs(u))))
            elif pole.imag > 0:
                found.append((complex(pole), float(abs(u))))
    candidates: list[complex] = []
    for pole, _ in sorted(found, key=lambda item: item[1]):
        if all(abs(pole - p) > 1e-3 * (1.0 + abs(p)) for p in candidates):
            candidates.append(pole)
    poles = []
    for i, pole in enumerate(candidates):
        axis_distance = abs(pole.imag) if pole.real <= shift else abs(pole - shift)
        others = [abs(pole - q) for j, q in enumerate(candidates) if j != i]
        others += [abs(pole - q.conjugate()) for q in candidates if q.imag > 0]
        radius = 0.3 * min([axis_distance] + others)
        if radius <= 0:
            continue
        residue = None
        for _ in range(2):
            m, _mean = _circle_moments(F, np.array([pole]), np.array([radius]), 64, 3)
            m0, m1, m2 = m[0]
            if abs(m0) == 0 or abs(m2 / m0 - (m1 / m0) ** 2) > 1e-8:
                residue = None
                break
            pole = pole + radius * m1 / m0
            if pole.imag == 0.0 or abs(pole.imag) <= 1e-10 * (1.0 + abs(pole)):
                pole = complex(pole.real, 0.0)  # real poles of a real transform stay real
            residue = m0
        if residue is None:
            continue
        if abs(pole.imag) <= 1e-10 * (1.0 + abs(pole)):
            poles.append((complex(pole.real, 0.0), complex(residue.real, 0.0)))
        else:
            poles.append((complex(pole), complex(residue)))
            poles.append((complex(pole).conjugate(), complex(residue).conjugate()))
    return poles


def subtract_poles(F: Callable, poles: list[tuple[complex, complex]]) -> Callable:
    """``F(s) - sum_i r_i/(s - p_i)``: F with the located poles removed."""

    def regular(s):
        out = evaluate(F, s)
        for pole, residue in poles:
            out = out - residue / (s - pole)
        return out

    return regular


def remove_poles(F: Callable, shift: float, t_min: float, t_max: float):
    """Try to write ``F = F_reg + sum_i r_i/(s - p_i)`` with F_reg in the Talbot class.

    Returns ``(F_reg, poles, suspects)``: ``poles`` is None when the probe found
    nothing; ``F_reg`` is None when the suspects are not (only) simple poles, in
    which case ``suspects`` lists the disks still flagged.
    """
    suspects = find_suspects(F, shift, t_min, t_max)
    if not suspects:
        return F, None, []
    poles = locate_poles(F, suspects, shift)
    if not poles:
        return None, None, suspects
    regular = subtract_poles(F, poles)
    left = find_suspects(regular, shift, t_min, t_max, reference=F)
    if left:
        return None, poles, left
    return regular, poles, []


def singular_height(suspects: list[Suspect], shift: float, t_min: float, t_max: float) -> float:
    """An upper bound on ``|Im p|`` of the singularities inside the flagged disks.

    The singularities lie in the union of the flagged disks minus the disks that
    passed the test; the bound is the largest ``|Im s|`` over points of the
    flagged disks (a polar grid) that no passing disk contains.
    """
    centers, radii = probe_disks(shift, t_min, t_max)
    flagged = {(sus.center, sus.radius) for sus in suspects}
    keep = np.array([(complex(c), float(r)) not in flagged for c, r in zip(centers, radii,
                                                                            strict=True)])
    clean_c, clean_r = centers[keep], radii[keep]
    angles = np.exp(2j * np.pi * np.arange(64) / 64)
    fractions = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    best = 0.0
    for sus in suspects:
        points = sus.center + sus.radius * np.concatenate([f * angles for f in fractions])
        inside_clean = (np.abs(points[:, None] - clean_c[None, :]) < 0.98 * clean_r).any(axis=1)
        left = points[~inside_clean]
        height = np.abs(left.imag).max() if left.size else abs(sus.center.imag)
        best = max(best, float(height))
    return best


def rightmost_singularity(F: Callable, suspects: list[Suspect], shift: float, t_min: float,
                          t_max: float) -> float:
    """An upper bound on the real part of the singularities in the flagged disks.

    A coarse bound E is the largest real part of the flagged region (flagged disks
    minus passing ones); it is then lowered by bisection along the real axis: the
    disk with diameter ``[x, E + (E - shift)/4]`` passing the Cauchy test means no
    singularity with real part in ``(x, E]`` on or near the axis. Used to raise a
    ``shift`` that leaves singularities (e.g. a cut on ``(0, 2]``) to its right.
    """
    centers, radii = probe_disks(shift, t_min, t_max)
    flagged = {(sus.center, sus.radius) for sus in suspects}
    keep = np.array([(complex(c), float(r)) not in flagged for c, r in zip(centers, radii,
                                                                            strict=True)])
    clean_c, clean_r = centers[keep], radii[keep]
    angles = np.exp(2j * np.pi * np.arange(64) / 64)
    fractions = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    edge = shift
    for sus in suspects:
        points = sus.center + sus.radius * np.concatenate([f * angles for f in fractions])
        inside_clean = (np.abs(points[:, None] - clean_c[None, :]) < 0.98 * clean_r).any(axis=1)
        left = points[~inside_clean]
        edge = max(edge, float(left.real.max()) if left.size else sus.center.real + sus.radius)
    if edge <= shift:
        return shift
    top = edge + 0.25 * (edge - shift)
    low, high = shift, edge
    for _ in range(40):
        mid = 0.5 * (low + high)
        center = np.array([0.5 * (mid + top) + 0j])
        radius = np.array([0.5 * (top - mid)])
        moments, mean_abs = _circle_moments(F, center, radius, PROBE_NODES, 2)
        scale = radius * mean_abs + 1e-300
        noise = max(FLAG_THRESHOLD, 1e3 * np.finfo(float).eps * abs(center[0]) / radius[0])
        if np.all(np.abs(moments[0]) <= noise * scale[0]):
            high = mid  # (mid, edge] is clean
        else:
            low = mid
        if high - low <= 1e-10 * (1.0 + abs(high)):
            break
    if low == shift:  # every disk passed: nothing right of the shift on the axis
        return shift
    return float(high)
