"""``rmtdyn compare``: numbers out (JSON) agree with the library and the figure is written."""

import json

import numpy as np
import pytest

from rmtdyn.cli.main import main


def test_compare_random_features_json_and_png(tmp_path, capsys):
    out = tmp_path / "compare.png"
    code = main(["compare", "--model", "random-features", "--ratios", "3", "0.5", "--n", "200",
                 "--points", "60", "--markers", "4", "--seeds", "2", "--tmax", "6", "--json",
                 "--out", str(out)])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["monotone"] == {"non-Hermitian": False, "Hermitian companion": True,
                                   "train (non-Hermitian)": True}
    theory = np.array(payload["theory"]["non-Hermitian"])
    sim = np.array(payload["simulation"]["non-Hermitian"]["mean"])
    t, ts = np.array(payload["t"]), np.array(payload["simulation_t"])
    # N = 200, 2 draws: fluctuation + finite-size allowance 1e-2
    assert np.max(np.abs(np.interp(ts, t, theory) - sim)) < 1e-2
    import matplotlib.image as mpimg

    img = mpimg.imread(out)
    assert img.shape[0] > 100 and np.ptp(img[..., :3]) > 0.2


def test_compare_ginibre_reports_growth(capsys):
    assert main(["compare", "--model", "ginibre", "--n", "150", "--markers", "3",
                 "--points", "30"]) == 0
    assert "monotone increasing" in capsys.readouterr().out


def test_compare_bad_input():
    with pytest.raises(SystemExit):
        main(["compare", "--model", "elliptic", "--tau", "2"])
    with pytest.raises(SystemExit):
        main(["compare", "--ratios", "-1", "0.5"])
