"""The command line: one parser, shared options, a --help for every subcommand."""

import pytest

from rmtdyn.cli.main import SUBCOMMANDS, build_parser, main


def test_every_subcommand_has_help_with_shared_options(capsys):
    parser = build_parser()
    names = [m.rsplit(".", 1)[1] for m in SUBCOMMANDS]
    for name in names:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([name, "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        for option in ("--out", "--json", "--seed", "--n"):
            assert option in text, f"{name} lacks {option}"


def test_bad_output_suffix_is_a_clear_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["spectrum", "wigner", "--n", "50", "--out", str(tmp_path / "x.txt")])
    assert exit_info.value.code == 2
    assert "--out" in capsys.readouterr().err
