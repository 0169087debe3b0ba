"""The README's Python example runs as written, and its claims hold."""

import re
from pathlib import Path

import numpy as np

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_python_block_runs():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "README has no python example"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    mp = namespace["mp"]
    assert abs(mp.moment(3) - (1 + 3 * 0.5 + 0.25)) < 1e-12
    f = namespace["rd"].invert_laplace(lambda s: 1 / (s + 1), np.array([0.5, 1.0, 2.0]))
    assert np.allclose(f, np.exp(-np.array([0.5, 1.0, 2.0])), rtol=1e-10)


def test_readme_commands_match_ci():
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    for command in ('python -m pip install . && rmtdyn demo --out demo.png',
                    'python -m pip install ".[test]" && python -m pytest -q'):
        assert command in README and command in ci
