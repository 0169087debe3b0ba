"""Test-session settings.

The suite multiplies many small matrices. Multi-threaded BLAS gains nothing
there and, on a loaded 2-core machine, its spinning threads can slow a test by
a factor of 50 (measured on the deep-linear DMFT solver: 0.4 s with one thread,
35 s with two under load). Tests therefore run single-threaded BLAS unless the
caller has set the thread count explicitly. This must happen before numpy is
imported, which is why it lives here.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

# Continuous integration runs the property-based tests derandomized (a fixed seed per test),
# so a CI run is reproducible and equal to a local run with CI=true; local runs without CI
# keep exploring new random examples.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
