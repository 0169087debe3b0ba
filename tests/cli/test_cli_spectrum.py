"""`rmtdyn spectrum`: JSON numbers against the library and a finite sample, figures, errors."""

import json

import numpy as np
import pytest

import rmtdyn as rd
from rmtdyn.cli.main import main
from rmtdyn.cli.spectrum import parse_population, parse_term


def run_json(capsys, *args):
    assert main(["spectrum", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_readme_command_writes_a_png(tmp_path, capsys):
    out = tmp_path / "mp.png"
    assert main(["spectrum", "wishart", "--ratio", "0.5", "--n", "150", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5_000


def test_wishart_json_matches_theory_and_sample(capsys):
    data = run_json(capsys, "wishart", "--ratio", "0.5", "--n", "200", "--variance", "2")
    mp = rd.MarchenkoPastur(0.5, 2.0)
    assert np.allclose(data["support"], [[mp.lower, mp.upper]], rtol=1e-12)
    assert data["atoms"] == []
    assert np.allclose(data["moments"], [mp.moment(k) for k in range(1, 5)], rtol=1e-12)
    # the sample's moments are close to the theory (O(1/N) plus fluctuation)
    assert np.allclose(data["sample"]["moments"][:2], data["moments"][:2], rtol=0.05)
    lo, hi = data["support"][0]
    assert lo - 0.3 < data["sample"]["min"] and data["sample"]["max"] < hi + 0.5


def test_marchenko_pastur_alias_and_atom(capsys):
    data = run_json(capsys, "marchenko-pastur", "--ratio", "2", "--n", "200")
    assert data["atoms"] == [[0.0, 0.5]]


def test_population_option(capsys, tmp_path):
    data = run_json(capsys, "wishart", "--ratio", "0.1", "--population", "1,10:0.5,0.5",
                    "--n", "200")
    assert len(data["support"]) == 2
    pm = rd.MarchenkoPastur(0.1, population=([1.0, 10.0], [0.5, 0.5]))
    assert np.allclose(data["support"], pm.support(), rtol=1e-14)
    assert main(["spectrum", "wishart", "--population", "1,3", "--n", "100",
                 "--out", str(tmp_path / "p.svg")]) == 0
    assert (tmp_path / "p.svg").read_text().lstrip().startswith("<?xml")


def test_wigner_text_summary(capsys):
    assert main(["spectrum", "wigner", "--variance", "4", "--n", "50"]) == 0
    assert "[-4, 4]" in capsys.readouterr().out


def test_free_sum_terms(capsys):
    pytest.importorskip("rmtdyn.spectra.free")
    data = run_json(capsys, "free-sum", "--a", "wigner:variance=1", "--b", "wishart:ratio=0.5",
                    "--n", "100")
    # free cumulants add: mean 1, variance 1 + 0.5
    assert abs(data["moments"][0] - 1.0) < 1e-9
    assert abs(data["moments"][1] - 1.0 - 1.0 - 0.5) < 1e-9


def test_parsers():
    assert parse_population("1,3:0.25,0.75") == ([1.0, 3.0], [0.25, 0.75])
    assert parse_population("2,4") == ([2.0, 4.0], [0.5, 0.5])
    expected = ("wishart", {"ratio": 0.5, "variance": 2.0})
    assert parse_term("wishart:ratio=0.5,variance=2") == expected
    with pytest.raises(ValueError, match="population"):
        parse_population("1,x:0.5")
    with pytest.raises(ValueError, match="--a/--b"):
        parse_term("ginibre")
    with pytest.raises(ValueError, match="--a/--b"):
        parse_term("wigner:size=3")


@pytest.mark.parametrize("args,message", [
    (["wishart", "--ratio", "-1"], "ratio"),
    (["wishart", "--population", "1,3:0.5,0.6"], "weights"),
    (["wishart", "--population", "-1,3:0.5,0.5"], "population"),
    (["wigner", "--variance", "0"], "variance"),
    (["wigner", "--population", "1:1"], "population"),
    (["free-sum", "--a", "wigner:ratio=x"], "ratio"),
])
def test_bad_options_are_clear_errors(capsys, args, message):
    with pytest.raises(SystemExit) as info:
        main(["spectrum", *args, "--n", "20"])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["spectrum", "--help"])
    text = capsys.readouterr().out
    assert "rmtdyn spectrum wishart --ratio 0.5 --n 1000 --out mp.png" in text
    assert "free-product" in text and "--population" in text


def test_random_features_linear(capsys):
    pytest.importorskip("rmtdyn.spectra.random_features")
    data = run_json(capsys, "random-features", "--ratio", "0.5", "--data-ratio", "0.8",
                    "--n", "200")
    # linear features: a product of Wisharts (mean 1); the sample mean agrees to O(1/N)
    rf = rd.RandomFeatures(0.5, 0.8)
    assert np.allclose(data["support"], rf.support(), rtol=1e-12)
    assert abs(data["moments"][0] - 1.0) < 1e-9
    assert abs(data["sample"]["moments"][0] - 1.0) < 0.05
