"""The gallery: every example script runs in fast mode and writes a real figure."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = sorted(p for p in (Path(__file__).parents[1] / "examples").glob("*.py")
                  if not p.name.startswith("_"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_fast_and_writes_png(script, tmp_path):
    import matplotlib.image as mpimg

    out = tmp_path / f"{script.stem}.png"
    proc = subprocess.run([sys.executable, str(script), "--fast", "--out", str(out)],
                          capture_output=True, text=True, timeout=300,
                          env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin",
                               "OMP_NUM_THREADS": "1", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = mpimg.imread(out)
    assert image.shape[0] > 100 and image.shape[1] > 100
    # A real figure has more than one colour.
    assert np.ptp(image[..., :3]) > 0.2
