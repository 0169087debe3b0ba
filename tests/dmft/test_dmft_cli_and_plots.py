"""`rmtdyn losses`, `rmtdyn response`, the dynamics plots and the LossCurves result type."""

import argparse
import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rmtdyn as rd  # noqa: E402
from rmtdyn.cli import losses, response  # noqa: E402
from rmtdyn.learning.curves import LossCurves  # noqa: E402
from rmtdyn.plotting.dynamics import plot_loss_curves, plot_response  # noqa: E402


def run_cli(argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    losses.add_parser(sub)
    response.add_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_subcommands_are_registered():
    from rmtdyn.cli.main import SUBCOMMANDS

    assert "rmtdyn.cli.losses" in SUBCOMMANDS and "rmtdyn.cli.response" in SUBCOMMANDS


def test_losses_json_theory_and_simulation(capsys):
    run_cli(["losses", "--ratio", "0.5", "--noise", "0.5", "--json", "--n", "300", "--seeds", "4",
             "--markers", "5", "--points", "50", "--tmax", "1e4"])
    data = json.loads(capsys.readouterr().out)
    # the last theory point is at the t -> inf limit sigma^2 gamma/(1 - gamma) = 0.25
    assert data["theory"]["curves"]["test"][-1] == pytest.approx(0.25, rel=1e-6)
    assert data["limit"]["test"] == pytest.approx(0.25, rel=1e-14)
    assert data["limit"]["train"] == pytest.approx(0.125, rel=1e-14)
    assert 0 < data["early_stopping"]["time"] < 100
    sim = data["simulation"]
    theory = rd.LinearRegressionFlow(0.5, 0.5).curves(np.array(sim["t"]))
    for name in ("train", "test"):
        diff = np.abs(np.array(sim["curves"][name]) - theory[name])
        assert np.all(diff < 4.5 * np.array(sim["stderr"][name]) + 0.01 * theory[name])


def test_losses_writes_a_figure(tmp_path):
    out = tmp_path / "curves.png"
    run_cli(["losses", "--ratio", "2", "--noise", "0.3", "--n", "200", "--seeds", "2",
             "--out", str(out)])
    assert out.stat().st_size > 10_000


def test_response_json_matches_closed_form(capsys):
    from scipy.special import ive

    run_cli(["response", "--ensemble", "wigner", "--shift", "2", "--json", "--no-simulation",
             "--points", "20", "--tmax", "1000"])
    data = json.loads(capsys.readouterr().out)
    t = np.array(data["theory"]["t"])
    np.testing.assert_allclose(data["theory"]["curves"]["response"], ive(1, 2 * t) / t,
                               rtol=1e-10)


def test_response_with_noise_and_simulation(tmp_path, capsys):
    out = tmp_path / "r.png"
    run_cli(["response", "--ensemble", "wishart", "--ratio", "0.5", "--noise", "0.2",
             "--n", "300", "--seeds", "3", "--markers", "6", "--out", str(out), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert set(data["simulation"]["curves"]) == {"response", "correlation"}
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize("argv,word", [
    (["losses", "--ratio", "0"], "ratio"),
    (["losses", "--noise", "-1"], "noise"),
    (["losses", "--tmin", "5", "--tmax", "1"], "tmin"),
    (["losses", "--out", "x.txt"], "--out"),
    (["response", "--ensemble", "wishart", "--ratio", "-1", "--no-simulation"], "ratio"),
    (["response", "--noise", "-1", "--no-simulation"], "noise"),
])
def test_cli_bad_input_is_a_clear_error(argv, word):
    with pytest.raises(ValueError, match=word):
        run_cli(argv)


# ------------------------------------------------------------------- plots
def test_plot_loss_curves_draws_theory_and_markers():
    flow = rd.LinearRegressionFlow(0.5, 0.5)
    t = np.geomspace(0.01, 100, 50)
    theory = flow.curves(t)
    sim = LossCurves(t=t[::10], curves={"train": theory["train"][::10],
                                        "test": theory["test"][::10]},
                     stderr={"train": 0.01 + 0 * t[::10], "test": 0.02 + 0 * t[::10]},
                     source="simulation", params={"n": 10})
    ax = plot_loss_curves(theory, sim)
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    ys = sorted(tuple(ln.get_ydata()) for ln in lines)
    assert ys == sorted([tuple(theory["train"]), tuple(theory["test"])])
    assert len(ax.containers) == 2  # two error-bar sets
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    plt.close(ax.figure)


def test_plot_response_on_given_axes_and_type_check():
    fig, ax = plt.subplots()
    t = np.geomspace(0.1, 10, 20)
    theory = LossCurves(t=t, curves={"response": np.exp(-t)}, label="toy")
    assert plot_response(theory, ax=ax, color="k") is ax
    assert "toy" in ax.get_legend_handles_labels()[1][0]
    with pytest.raises(TypeError, match="LossCurves"):
        plot_response({"t": t}, ax=ax)
    plt.close(fig)


# -------------------------------------------------------------- LossCurves
def test_loss_curves_validation_and_json():
    t = np.array([0.0, 1.0, 2.0])
    c = LossCurves(t=t, curves={"test": [1.0, 0.5, 0.2]}, stderr={"test": [0.0, 0.1, 0.1]},
                   source="simulation", params={"n": 5})
    assert json.loads(json.dumps(c.to_dict()))["curves"]["test"] == [1.0, 0.5, 0.2]
    assert c.error("test")[1] == 0.1 and c.error("train") is None and "test" in c
    with pytest.raises(ValueError):
        c["test"][0] = 3.0  # read-only
    with pytest.raises(ValueError, match="shape of t"):
        LossCurves(t=t, curves={"test": [1.0, 2.0]})
    with pytest.raises(ValueError, match="without a curve"):
        LossCurves(t=t, curves={"test": t}, stderr={"train": t})
    with pytest.raises(ValueError, match="source"):
        LossCurves(t=t, curves={"test": t}, source="guess")
    with pytest.raises(ValueError, match=">= 0"):
        LossCurves(t=-t - 1, curves={"test": t})
    with pytest.raises(TypeError, match="mapping"):
        LossCurves(t=t, curves=[t])
    with pytest.raises(KeyError, match="available"):
        c["train"]
