"""``rmtdyn dln``: JSON numbers agree with the API; bad options fail with a message."""

import json

import numpy as np
import pytest

from rmtdyn.cli.main import main
from rmtdyn.learning.deep_linear import DeepLinearNetwork


def test_dln_json_matches_api(capsys):
    argv = ["dln", "--depth", "2", "--richness", "1.0", "--t-max", "2", "--steps", "60",
            "--n", "60", "--seeds", "2", "--json"]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    theory = payload["theory"]["1.0"]
    t = np.array(theory["t"])
    expected = DeepLinearNetwork(2, 2.0, 1.0, 1.0).test_error(t, n_steps=60)
    np.testing.assert_allclose(theory["curves"]["test"], expected, rtol=1e-12)
    assert set(payload["theory"]) == {"0.0", "1.0"}  # the lazy curve is always added
    sim = payload["simulation"]["1.0"]
    gap = np.abs(np.array(sim["curves"]["test"]) - np.interp(sim["t"], t, expected))
    assert np.all(gap[1:] < 3 * np.array(sim["stderr"]["test"])[1:] + 0.06)  # D = 60, 2 seeds


@pytest.mark.parametrize("bad", [["--depth", "0"], ["--richness", "-1"], ["--alpha", "0"],
                                 ["--layer", "5"]])
def test_dln_bad_options_exit_with_message(bad, capsys):
    with pytest.raises(SystemExit) as info:
        main(["dln", "--steps", "40", "--n", "20", "--seeds", "1", "--t-max", "1", *bad])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert any(word in err for word in ("depth", "richness", "alpha", "layer"))
