"""``rmtdyn demo``: the headline comparison, checked through its JSON output."""

import json

import numpy as np

from rmtdyn.cli.main import main


def test_demo_json_reports_nonmonotone_vs_monotone(capsys):
    assert main(["demo", "--json", "--n", "200", "--seed", "1"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["monotone"]["non-Hermitian"] is False
    assert payload["monotone"]["Hermitian companion"] is True
    # Theory and the N = 200 simulation agree near the minimum within a finite-size allowance.
    t = np.array(payload["t"])
    theory = np.array(payload["theory"]["non-Hermitian"])
    sim_t = np.array(payload["simulation_t"])
    sim = np.array(payload["simulation"]["non-Hermitian"]["mean"])
    assert np.max(np.abs(np.interp(sim_t, t, theory) - sim)) < 0.03


def test_demo_writes_figure(tmp_path):
    out = tmp_path / "demo.svg"
    assert main(["demo", "--n", "150", "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
