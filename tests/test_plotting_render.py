"""Every public plotting function renders to a PNG with content and the expected axes.

Each case draws with small, real inputs (closed-form spectra, seeded samples, short
theory curves), renders the Figure with the Agg backend into PNG bytes, decodes the
image and checks that (i) it is not blank (many distinct colours, and pixels that are
not background inside every Axes), and (ii) the Axes carry the labels, scales, titles,
legend entries and artists the function promises. ``test_every_plot_function_is_covered``
fails when a new public ``plot_*`` function is added without a render case here.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rmtdyn  # noqa: E402
import rmtdyn.plotting  # noqa: E402
from rmtdyn.learning.curves import LossCurves  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def render(fig) -> np.ndarray:
    """PNG bytes of ``fig`` (Agg) decoded back to an RGBA array in [0, 1]."""
    fig.set_dpi(40)  # small and fast; the Axes extents below use the same dpi
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    png = buffer.getvalue()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    buffer.seek(0)
    return mpimg.imread(buffer, format="png")


def assert_has_content(fig) -> np.ndarray:
    """The image has many colours, and every Axes region has non-white pixels."""
    image = render(fig)
    rgb = np.round(image[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = np.unique(rgb, axis=0)
    assert len(colours) > 10, f"image has only {len(colours)} colours"
    height, width = image.shape[:2]
    fig.canvas.draw()
    for ax in fig.axes:
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        box = ax.get_window_extent()
        x0, x1 = int(max(box.x0, 0)), int(min(box.x1, width))
        y0, y1 = int(max(height - box.y1, 0)), int(min(height - box.y0, height))
        patch = image[y0:y1, x0:x1, :3]
        assert patch.size, "axes outside the image"
        drawn = np.any(patch < 0.97, axis=-1).mean()
        assert drawn > 0.01, f"axes {ax.get_title()!r} looks empty ({drawn:.4f} drawn)"
    return image


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, "expected a legend"
    return [t.get_text() for t in legend.get_texts()]


def curves(names=("train", "test"), t=None, stderr=False, source="theory", **params):
    t = np.geomspace(1e-2, 1e2, 30) if t is None else t
    values = {name: (1 + k) * 0.5 * (np.exp(-t) + 0.1) for k, name in enumerate(names)}
    errors = {name: 0.05 * v for name, v in values.items()} if stderr else None
    return LossCurves(t=t, curves=values, stderr=errors, source=source, params=params)


# ------------------------------------------------------------------ cases
def case_plot_density():
    from rmtdyn.plotting.spectra import plot_density

    mp = rmtdyn.MarchenkoPastur(ratio=2.0)
    eig = np.linalg.eigvalsh(mp.sample(200, rng=0))
    ax = plot_density(mp, eig)
    assert ax.get_xlabel() == "eigenvalue" and ax.get_ylabel() == "density"
    texts = legend_texts(ax)
    assert "limiting density" in texts and "atom" in texts
    assert any(t.startswith("eigenvalues, N = 200") for t in texts)
    # the atom at 0 of mass 1/2 is annotated with its mass and the sample's fraction
    notes = [t.get_text() for t in ax.texts]
    assert "mass 0.500" in notes
    assert any(n.startswith("sample: 0.5") for n in notes)
    return ax.figure, 1


def case_plot_curves():
    from rmtdyn.plotting.dynamics import plot_curves

    ax = plot_curves(curves(), curves(stderr=True, source="simulation", n=100))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "time t"
    texts = legend_texts(ax)
    assert len(texts) == 4
    assert sum("theory" in t for t in texts) == 2
    assert sum("simulation, N=100" in t for t in texts) == 2
    assert len(ax.get_lines()) >= 2
    return ax.figure, 1


def case_plot_loss_curves():
    from rmtdyn.plotting.dynamics import plot_loss_curves

    flow = rmtdyn.LinearRegressionFlow(ratio=0.5, noise=0.3)
    t = np.geomspace(1e-2, 1e2, 25)
    ax = plot_loss_curves(flow.curves(t), curves(t=t, stderr=True, source="simulation", n=50))
    assert ax.get_ylabel() == "loss" and ax.get_xlabel() == "time t"
    assert "ratio=0.5" in ax.get_title() and "noise=0.3" in ax.get_title()
    assert len(legend_texts(ax)) == 4
    return ax.figure, 1


def case_plot_response():
    from rmtdyn.plotting.dynamics import plot_response

    t = np.geomspace(1e-2, 1e2, 25)
    spec = rmtdyn.Wigner() + 2.0
    theory = LossCurves(t=t, curves={"response": spec.response(t)})
    ax = plot_response(theory)
    assert ax.get_ylabel() == "R(t)"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 1
    return ax.figure, 1


def case_plot_rf_learning():
    from rmtdyn.plotting.learning import plot_rf_learning

    t = np.geomspace(1e-2, 1e2, 20)
    decomposition = curves(names=("bias", "ensemble_features", "var_data"), t=t)
    ensembles = {"bias": curves(names=("single", "ensemble", "infinite"), t=t[::4],
                                stderr=True, source="simulation")}
    fig = plot_rf_learning(curves(t=t), decomposition,
                           curves(t=t[::4], stderr=True, source="simulation"), ensembles)
    left, right = fig.axes
    assert left.get_ylabel() == "loss" and right.get_ylabel() == "error component"
    assert left.get_xlabel() == right.get_xlabel() == "time t"
    assert legend_texts(left) == ["train loss", "test error"]
    assert legend_texts(right) == ["bias", "ensemble over features (shared data)",
                                   "variance: data"]
    return fig, 2


def case_plot_sgd_sweep():
    from rmtdyn.plotting.learning import plot_sgd_sweep

    steps = np.arange(0, 50, 5).astype(float)
    theory = {b: curves(names=("test",), t=steps) for b in (1, 8)}
    simulation = {1: curves(names=("test",), t=steps, stderr=True, source="simulation")}
    ax = plot_sgd_sweep(theory, simulation)
    assert legend_texts(ax) == ["B = 1", "B = 8"]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel().startswith("step k")
    return ax.figure, 1


def case_plot_eigenvalue_cloud():
    from rmtdyn.plotting.nonhermitian import plot_eigenvalue_cloud

    ginibre = rmtdyn.Ginibre()
    eig = np.linalg.eigvals(ginibre.sample(150, rng=0))
    ax = plot_eigenvalue_cloud(eig, ginibre.support_boundary())
    assert ax.get_xlabel() == "Re λ" and ax.get_ylabel() == "Im λ"
    assert legend_texts(ax) == ["sampled eigenvalues", "support boundary"]
    assert len(ax.collections) == 1 and len(ax.get_lines()) == 1
    return ax.figure, 1


def case_plot_eigenvalue_cloud_real():
    from rmtdyn.plotting.nonhermitian import plot_eigenvalue_cloud

    pw = rmtdyn.ProductWishart(0.5, 0.25)
    eig = np.linalg.eigvals(pw.sample(150, rng=0))
    (a, b), = pw.support()
    x = np.linspace(a, b, 100)
    ax = plot_eigenvalue_cloud(eig, density=(x, pw.density(x)))
    assert ax.get_xlabel() == "eigenvalue" and ax.get_ylabel() == "density"
    assert "limiting density" in legend_texts(ax)
    assert len(ax.patches) == 60  # histogram bars
    return ax.figure, 1


def case_plot_loss_comparison():
    from rmtdyn.plotting.nonhermitian import plot_loss_comparison

    t = np.linspace(0, 3, 30)
    theory = {"non-Hermitian": 0.5 + 0.5 * np.exp(-t), "Hermitian": 0.4 + 0.6 * np.exp(-2 * t)}
    simulation = {"non-Hermitian": (theory["non-Hermitian"][::5], np.full(6, 0.01))}
    ax = plot_loss_comparison(t, theory, simulation, sim_t=t[::5])
    assert ax.get_xlabel() == "t" and ax.get_ylabel() == "loss"
    assert legend_texts(ax) == ["non-Hermitian (theory)", "Hermitian (theory)",
                                "non-Hermitian (simulation)"]
    return ax.figure, 1


def case_plot_phase_diagram():
    from rmtdyn.plotting.nonhermitian import plot_phase_diagram

    t = np.concatenate(([0.0], np.logspace(-2, 2, 40)))
    diagram = rmtdyn.nonmonotonicity_phase_diagram([0.5, 3.0], [0.3, 0.6, 2.0], t=t)
    assert diagram.nonmonotone.any() and not diagram.nonmonotone.all()
    ax = plot_phase_diagram(diagram)
    assert ax.get_xlabel() == "ratio2" and ax.get_ylabel() == "ratio1"
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "non-monotone" in ax.get_title()
    colorbars = [a for a in ax.figure.axes if a is not ax]
    assert len(colorbars) == 1 and "log10 rise" in colorbars[0].get_ylabel()
    return ax.figure, 2


def case_plot_richness_sweep():
    from rmtdyn.plotting.deep_linear import plot_richness_sweep

    t = np.linspace(0, 4, 20)
    theory = {0.0: curves(t=t), 1.0: curves(t=t)}
    simulation = {1.0: curves(t=t[::4], stderr=True, source="simulation")}
    ax = plot_richness_sweep(theory, simulation)
    assert ax.get_xlabel() == "time t" and ax.get_yscale() == "log"
    assert ax.get_ylabel().startswith("test error")
    assert legend_texts(ax) == ["γ0 = 0 (DMFT)", "γ0 = 1 (DMFT)", "γ0 = 1 (simulation)"]
    return ax.figure, 1


def case_plot_hidden_spectrum():
    from rmtdyn.plotting.deep_linear import plot_hidden_spectrum

    mp = rmtdyn.MarchenkoPastur(0.5)
    eig = {t: np.linalg.eigvalsh(mp.sample(150, rng=k)) for k, t in enumerate((0.0, 2.0))}
    ax = plot_hidden_spectrum(eig, bulk=mp, outliers={2.0: np.array([4.5, np.nan])})
    assert ax.get_ylabel() == "density" and ax.get_yscale() == "log"
    assert ax.get_xlabel().startswith("eigenvalue")
    texts = legend_texts(ax)
    assert texts[-1] == "Marchenko–Pastur bulk" and len(texts) == 3
    vertical = [ln for ln in ax.get_lines() if np.ptp(ln.get_xdata()) == 0]
    assert len(vertical) == 1 and vertical[0].get_xdata()[0] == 4.5  # the NaN outlier is skipped
    return ax.figure, 1


CASES = {
    "plot_density": [case_plot_density],
    "plot_curves": [case_plot_curves],
    "plot_loss_curves": [case_plot_loss_curves],
    "plot_response": [case_plot_response],
    "plot_rf_learning": [case_plot_rf_learning],
    "plot_sgd_sweep": [case_plot_sgd_sweep],
    "plot_eigenvalue_cloud": [case_plot_eigenvalue_cloud, case_plot_eigenvalue_cloud_real],
    "plot_loss_comparison": [case_plot_loss_comparison],
    "plot_phase_diagram": [case_plot_phase_diagram],
    "plot_richness_sweep": [case_plot_richness_sweep],
    "plot_hidden_spectrum": [case_plot_hidden_spectrum],
}


@pytest.mark.parametrize("case", [c for cs in CASES.values() for c in cs],
                         ids=lambda c: c.__name__[5:])
def test_renders_with_expected_axes(case):
    fig, n_axes = case()
    assert len(fig.axes) == n_axes
    assert_has_content(fig)


def public_plot_functions() -> set[str]:
    names = set()
    for info in pkgutil.iter_modules(rmtdyn.plotting.__path__):
        module = importlib.import_module(f"rmtdyn.plotting.{info.name}")
        for name, obj in vars(module).items():
            if (name.startswith("plot_") and inspect.isfunction(obj)
                    and obj.__module__ == module.__name__):
                names.add(name)
    return names


def test_every_plot_function_is_covered():
    missing = public_plot_functions() - set(CASES)
    assert not missing, f"plotting functions without a render test: {sorted(missing)}"


def test_blank_figure_is_rejected():
    """The content check itself can fail: an empty Axes is reported."""
    fig, ax = plt.subplots()
    ax.set_axis_off()
    with pytest.raises(AssertionError):
        assert_has_content(fig)
