"""ProductWishart: H, Q, losses, spectrum; closed forms/quadrature AND seeded simulations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

import rmtdyn as rd
from rmtdyn.laplace.two_dimensional import invert_laplace_diagonal_circle
from rmtdyn.learning.monotonicity import monotonicity
from rmtdyn.spectra.nonhermitian import ProductWishart, RandomFeatureGradientFlowMatrix

CASES = [(0.5, 0.8), (2.0, 0.5), (0.3, 3.0), (1.0, 1.0)]


def stepped_losses(a, w2, dt, steps):
    """(1/N)|e^{-tA}|_F^2 and (1/N) tr[W2 e^{-2tA}] at t = k dt (expm of -dt A, then products)."""
    n = a.shape[0]
    e = expm(-dt * a)
    m = np.eye(n)
    iso, train = [], []
    for _ in range(steps + 1):
        iso.append(np.sum(m * m) / n)
        train.append(np.sum(m * (w2 @ m)) / n)  # tr[M^T W2 M] = tr[W2 e^{-2tA}]
        m = e @ m
    return np.array(iso), np.array(train)


# ----------------------------------------------------------------- H(s)
@pytest.mark.parametrize("ratios", CASES)
def test_laplace_response_matches_quadrature_of_density(ratios):
    pw = ProductWishart(*ratios)
    comp = pw.hermitian_companion()
    s = np.array([0.3, 2.0, 1.0 + 1.5j, -2.0 + 0.7j, -0.5 - 0.2j, 5.0 - 3.0j])
    expected = comp.expect(lambda lam: 1.0 / (s[None, :] + lam[:, None]))  # atoms included
    got = pw.laplace_response(s)
    # 1e-9 covers the tanh-sinh rule at the x^(-2/3) hard edge of ratios (1, 1); others ~1e-13
    assert np.max(np.abs(got - expected) / np.abs(expected)) < 5e-9


def test_laplace_response_matches_simulation():
    pw = ProductWishart(0.5, 0.8)
    s = np.array([0.5, 1.0 + 2.0j, -3.0 + 0.5j])
    a = pw.sample(800, rng=1)
    emp = np.array([np.trace(np.linalg.inv(si * np.eye(800) + a)) / 800 for si in s])
    # O(1/N) finite-size bias plus O(1/N) fluctuation of a linear statistic
    assert np.max(np.abs(pw.laplace_response(s) - emp) / np.abs(emp)) < 4e-3


def test_h_at_zero_and_physical_root_on_positive_axis():
    pw = ProductWishart(0.4, 0.25)
    s = np.array([1e-8, 1e-3, 0.1, 1.0, 10.0])
    h = pw.laplace_response(s)
    assert np.all(np.abs(h.imag) < 1e-14) and np.all((h.real > 0) & (h.real <= 1.0 / s.real))
    assert abs(h[0] - 1.0 / ((1 - 0.4) * (1 - 0.25))) < 1e-6  # H(0) = 1/((1-g1)(1-g2))


@settings(deadline=None, max_examples=25)
@given(st.floats(0.05, 5.0), st.floats(0.05, 5.0), st.floats(0.05, 20.0))
def test_q_diagonal_exceeds_h_squared(r1, r2, s):
    """Cauchy-Schwarz: (1/N)|B|_F^2 >= ((1/N) tr B)^2 for B = (s + A)^{-1}, s > 0, with equality
    only for normal A; and 0 < sH <= 1."""
    pw = ProductWishart(r1, r2)
    h = pw.laplace_response(s).real
    q = pw.two_point_laplace(s, s).real
    assert 0 < s * h <= 1 + 1e-12
    assert q >= h * h * (1 - 1e-10)


# ----------------------------------------------------------------- spectrum
@pytest.mark.parametrize("ratios", CASES)
def test_mass_and_moments(ratios):
    pw = ProductWishart(*ratios)
    atoms = sum(m for _, m in pw.atoms())
    comp = pw.hermitian_companion()
    assert abs(comp.mass() + atoms - 1) < 1e-12
    assert abs(comp.expect(lambda x: np.ones_like(x)) - 1) < 1e-9  # density integrates to mass
    assert abs(comp.expect(lambda x: x) - 1.0) < 1e-9  # m1 = 1
    assert abs(comp.expect(lambda x: x * x) - (1 + sum(ratios))) < 1e-8  # m2 = 1 + g1 + g2


def test_density_matches_histogram_of_sampled_eigenvalues():
    pw = ProductWishart(0.5, 0.8)
    lam = pw.hermitian_companion().eigenvalues(1000, rng=3)
    (a, b), = pw.support()
    assert lam.min() > a - 0.05 and lam.max() < b + 0.2
    edges = np.linspace(0.0, b, 13)
    counts, _ = np.histogram(lam, edges)
    x = np.linspace(edges[:-1], edges[1:], 2001, axis=1)  # (bins, 2001), trapezoid per bin
    probs = np.trapezoid(pw.density(x), x, axis=1)
    se = np.sqrt(probs * (1 - probs) / lam.size)
    assert np.all(np.abs(counts / lam.size - probs) < 4 * se + 4e-3)


def test_companion_sample_draws_o_diag_lambda_ot():
    pw = ProductWishart(2.0, 0.5)
    comp = pw.hermitian_companion()
    n = 300
    lam = comp.eigenvalues(n, rng=7)
    # the same random stream gives exactly the eigenvalues of the non-Hermitian product
    ev = np.sort(np.linalg.eigvals(pw.sample(n, rng=7)).real)
    assert np.max(np.abs(np.sort(lam) - ev)) < 1e-8
    h = comp.sample(n, rng=7)
    assert np.allclose(h, h.T)
    assert np.max(np.abs(np.linalg.eigvalsh(h) - np.sort(lam))) < 1e-9


def test_eigenvalue_density_and_boundary_are_real_axis_objects():
    pw = ProductWishart(2.0, 0.5)
    x = np.array([0.5, 2.0, 4.0])
    assert np.allclose(pw.eigenvalue_density(x + 0j), pw.density(x))
    assert np.all(pw.eigenvalue_density(x + 0.1j) == 0)
    b = pw.support_boundary(50)
    assert np.all(b.imag == 0) and b.real.min() == 0.0  # the atom at 0 is part of the support


# ----------------------------------------------------------------- Q(s1, s2)
def test_two_point_matches_simulation():
    pw = ProductWishart(0.5, 0.8)
    n = 600
    w1, w2 = pw.sample_factors(n, rng=2)
    a = w1 @ w2
    eye = np.eye(n)
    pairs = [(0.5, 1.0), (0.3, 2.0), (1.0 + 1.0j, 0.7 - 0.5j), (0.4, 0.4)]
    for s1, s2 in pairs:
        emp = np.trace(np.linalg.inv(s1 * eye + a.T) @ np.linalg.inv(s2 * eye + a)) / n
        assert abs(pw.two_point_laplace(s1, s2) - emp) < 4e-3 * abs(emp)
        # conventions: T(z, w) = (1/N) tr[(z - A)^{-1}(w - A^T)^{-1}] = Q(-w, -z)
        z, w = -s2, -s1
        emp_t = np.trace(np.linalg.inv(z * eye - a) @ np.linalg.inv(w * eye - a.T)) / n
        assert abs(pw.two_point(z, w) - emp_t) < 4e-3 * abs(emp_t)
        # generalised two-point function with the second factor in the middle (train loss)
        emp_w = np.trace(np.linalg.inv(s1 * eye + a.T) @ w2 @ np.linalg.inv(s2 * eye + a)) / n
        assert abs(pw.weighted_two_point_laplace(s1, s2) - emp_w) < 4e-3 * abs(emp_w)


def test_two_point_symmetric_in_the_two_ratios():
    """The formula is written with gamma1; evaluated literally with either ratio it must agree."""
    s1 = np.array([0.3, 1.0 + 2.0j, -4.0 + 1.0j])
    s2 = np.array([2.0, 0.5 - 0.1j, 3.0 + 0.0j])
    pw = ProductWishart(0.7, 2.5)
    h1, h2 = pw.laplace_response(s1), pw.laplace_response(s2)

    def literal(gam):
        c1, c2 = 1 - gam * (1 - s1 * h1), 1 - gam * (1 - s2 * h2)
        m0 = (c1 * h1 - c2 * h2) / (c1 * s2 - c2 * s1)
        return m0 / (1 - gam * (1 - s1 * h1 - s2 * h2 + s1 * s2 * m0))

    assert np.max(np.abs(literal(0.7) - literal(2.5))) < 1e-11
    assert np.max(np.abs(pw.two_point_laplace(s1, s2) - pw.two_point_laplace(s2, s1))) < 1e-12


def test_diagonal_limit_is_the_limit_of_the_divided_difference():
    pw = ProductWishart(0.6, 1.7)
    s = np.array([0.8, 1.0 + 1.0j, -3.0 + 2.0j])
    diag = pw.two_point_laplace(s, s)
    prev = None
    for delta in (1e-2, 1e-3):
        off = pw.two_point_laplace(s - delta / 2, s + delta / 2)
        err = np.max(np.abs(off - diag))
        if prev is not None:
            assert err < 0.05 * prev  # second-order convergence of the symmetric difference
        prev = err
    assert prev < 1e-6


def test_two_point_reduces_to_hermitian_when_one_factor_is_identity():
    """ratio1 -> 0 makes W1 -> I, A -> W2 (Hermitian MP): Q -> (g(z) - g(w))/(w - z)."""
    pw = ProductWishart(1e-9, 0.5)
    mp = rd.MarchenkoPastur(0.5)
    z = np.array([-0.5 + 0.3j, 6.0 + 1.0j, -1.0])
    w = np.array([-2.0 - 0.1j, 0.2 + 2.0j, 8.0])
    assert np.max(np.abs(pw.two_point(z, w) - mp.two_point(z, w))) < 1e-7
    # and a genuinely non-normal product differs from its Hermitian companion
    pw2 = ProductWishart(0.5, 0.8)
    herm = pw2.hermitian_companion().two_point(-0.5, -0.5)
    assert pw2.two_point(-0.5, -0.5).real > herm.real * 1.05


# ----------------------------------------------------------------- losses
@pytest.mark.parametrize("ratios", CASES)
def test_isotropic_loss_talbot_vs_circle_contour(ratios):
    """Two contours (tensor Talbot M = 16 vs a circle around the spectrum, 400 nodes)."""
    pw = ProductWishart(*ratios)
    t = np.linspace(0.0, 3.0, 7)
    top = pw.support()[-1][1]
    circle = invert_laplace_diagonal_circle(pw.two_point_laplace, t, center=-top / 2,
                                            radius=top / 2 + 1.5, nodes=400)
    assert np.max(np.abs(pw.isotropic_loss(t) - circle)) < 1e-9


@pytest.mark.parametrize("ratios", [(0.5, 0.8), (2.0, 0.5), (4.0, 0.3), (0.5, 3.0)])
def test_isotropic_loss_converged_in_nodes_up_to_long_times(ratios):
    pw = ProductWishart(*ratios)
    t = np.array([0.05, 1.0, 10.0, 100.0, 1000.0])
    ref = pw.isotropic_loss(t)
    for m in (14, 15, 18):
        assert np.max(np.abs(pw.isotropic_loss(t, nodes=m) - ref)) < 1e-8
    vals, errs = pw.isotropic_loss(t, error=True)
    assert np.all(errs < 1e-8)


@pytest.mark.parametrize("ratios", [(2.0, 0.5), (4.0, 0.3), (0.5, 2.0), (3.0, 1.5)])
def test_isotropic_loss_long_time_limit(ratios):
    """L(inf) = |oblique projector onto ker A along ran A|_F^2/N = (1 - 1/g_max)/(1 - g_min/g_max),
    checked against a finite-N projector computed from the factors (independent route)."""
    gmin, gmax = min(ratios), max(ratios)
    limit = (1 - 1 / gmax) / (1 - gmin / gmax)
    pw = ProductWishart(*ratios)
    assert abs(pw.isotropic_loss(3000.0) - limit) < 1e-8
    # finite N: L(inf) = |P|_F^2/N with P = I - V (U^T V)^{-1} U^T restricted to ran/ker
    n = 600
    a = pw.sample(n, rng=11)
    u, sv, vt = np.linalg.svd(a)
    rank = int(np.sum(sv > 1e-9 * sv[0]))
    col = u[:, :rank]  # range of A
    row = vt[:rank].T  # orthogonal complement of ker A
    proj = np.eye(n) - col @ np.linalg.solve(row.T @ col, row.T)
    assert abs(np.sum(proj * proj) / n - limit) < 0.03 * limit


def test_losses_match_simulation_and_nonmonotone_case():
    """The paper's mechanism at ratios (3, 0.5) (nu = 1/3, alpha = 2): theory and simulation
    non-monotone with the minimum at the same time; the Hermitian companion monotone."""
    pw = RandomFeatureGradientFlowMatrix(3.0, 0.5)
    dt, steps = 0.1, 20
    t = dt * np.arange(steps + 1)
    f, sig = pw.sample_factors(500, rng=5)
    iso, train = stepped_losses(f @ sig, sig, dt, steps)
    theory = pw.test_loss(t)
    # single draw at N = 500: fluctuations and finite-size bias are O(1/N); 3e-3 measured ~5e-4
    assert np.max(np.abs(iso - theory)) < 3e-3
    assert np.max(np.abs(train - pw.train_loss(t))) < 3e-3
    m_theory = monotonicity(t, theory)
    m_sim = monotonicity(t, iso, atol=1e-3)
    assert not m_theory.monotone and not m_sim.monotone
    assert m_theory.minima[0].t == pytest.approx(m_sim.minima[0].t, abs=0.1)
    herm = monotonicity(t, pw.hermitian_test_loss(t))
    assert herm.monotone and herm.direction == "decreasing"
    assert monotonicity(t, pw.train_loss(t)).direction == "decreasing"


def test_hermitian_companion_loss_matches_its_simulation():
    pw = ProductWishart(0.5, 0.8)
    comp = pw.hermitian_companion()
    t = np.array([0.5, 1.0, 2.0])
    lam = comp.eigenvalues(800, rng=4)
    emp = np.exp(-2 * np.outer(t, lam)).mean(axis=1)
    assert np.max(np.abs(pw.isotropic_loss_hermitian(t) - emp)) < 3e-3


@pytest.mark.slow
def test_losses_match_averaged_simulation_slow():
    pw = ProductWishart(0.5, 0.8)
    dt, steps = 0.2, 25
    t = dt * np.arange(steps + 1)
    runs = np.array([stepped_losses(*(lambda f, s: (f @ s, s))(*pw.sample_factors(800, rng=k)),
                                    dt, steps)[0] for k in range(6)])
    mean, se = runs.mean(0), runs.std(0, ddof=1) / np.sqrt(len(runs))
    assert np.all(np.abs(mean - pw.isotropic_loss(t)) < 4 * se + 2e-3)


# ----------------------------------------------------------------- bad input
def test_bad_input_raises():
    with pytest.raises(ValueError, match="ratio1"):
        ProductWishart(0.0, 1.0)
    with pytest.raises(ValueError, match="ratio2"):
        ProductWishart(1.0, -1.0)
    with pytest.raises(TypeError):
        ProductWishart("a", 1.0)
    with pytest.raises(ValueError, match="alpha"):
        RandomFeatureGradientFlowMatrix.from_alpha_nu(-1.0, 1.0)
    pw = ProductWishart(2.0, 0.5)
    with pytest.raises(ValueError, match="broadcastable"):
        pw.two_point_laplace(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="broadcastable"):
        pw.two_point(np.ones(3) * 10, np.ones(2) * 10)
    with pytest.raises(ValueError, match="z must lie off"):
        pw.two_point(1.0, 20.0)
    with pytest.raises(ValueError, match="pole"):
        pw.laplace_response(0.0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        pw.isotropic_loss(-1.0)


def test_stieltjes_agrees_with_the_free_product_engine():
    """Independent code: rmtdyn.free_product(MP, MP) (subordination) vs the branch-tracked cubic."""
    try:
        fp = rd.free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.8))
        z = np.array([-0.3 + 0.1j, 2.0 + 1.0j, 3.0 + 0.0j, -1.0 + 0.0j])
        ref = fp.stieltjes(z)
    except (ImportError, AttributeError, NotImplementedError) as exc:  # pragma: no cover
        pytest.skip(f"free_product unavailable: {exc}")
    got = ProductWishart(0.5, 0.8).stieltjes(z)
    assert np.max(np.abs(got - ref)) < 1e-9


@settings(deadline=None, max_examples=15)
@given(st.floats(0.05, 8.0), st.floats(0.05, 8.0))
def test_isotropic_loss_node_convergence_random_ratios(r1, r2):
    """Branch tracking and the Talbot rule over the whole parameter range: the default M = 16 vs
    M = 14 and 15 (truncation <= 1e-9, less round-off than M = 16), and L(0+) -> 1."""
    if r1 > 1 and r2 > 1 and abs(r1 - r2) < 0.05:
        r2 = r1 + 0.1  # L(inf) diverges on the diagonal r1 = r2 > 1; stay off it
    pw = ProductWishart(r1, r2)
    t = np.array([1e-4, 0.3, 3.0, 30.0])
    a = pw.isotropic_loss(t)
    for m in (14, 15):
        b = pw.isotropic_loss(t, nodes=m)
        assert np.max(np.abs(a - b)) < 1e-8 * max(1.0, np.max(np.abs(a)))
    assert abs(a[0] - 1.0) < 1e-3
