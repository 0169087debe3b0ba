"""The printed outputs in docs/symbolic.md are the real outputs of the calls shown."""

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "symbolic.md"


def test_docs_symbolic_examples_run_and_match():
    result = doctest.testfile(str(DOC), module_relative=False, verbose=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 30
    assert result.failed == 0
