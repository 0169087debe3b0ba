"""rmtdyn: random-matrix resolvents and the high-dimensional linear dynamics they drive.

The package is a pipeline (see docs/architecture.md)::

    spectra  ->  laplace  ->  dmft  ->  learning
      ^  symbolic, solvers serve spectra;  simulate, plotting, cli sit on top

Public names are imported lazily, so ``import rmtdyn`` is fast and a layer is
loaded only when it is used.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    # layer 1: spectra
    "Spectrum": "rmtdyn.spectra.base",
    "Wigner": "rmtdyn.spectra.wigner",
    "MarchenkoPastur": "rmtdyn.spectra.marchenko_pastur",
    "DiscreteSpectrum": "rmtdyn.spectra.discrete",
    "PopulationMarchenkoPastur": "rmtdyn.spectra.population",
    "RandomFeatures": "rmtdyn.spectra.random_features",
    "free_sum": "rmtdyn.spectra.free",
    "free_product": "rmtdyn.spectra.free",
    "affine": "rmtdyn.spectra.affine",
    "Ginibre": "rmtdyn.spectra.nonhermitian",
    "Elliptic": "rmtdyn.spectra.nonhermitian",
    "ProductWishart": "rmtdyn.spectra.nonhermitian",
    "RandomFeatureGradientFlowMatrix": "rmtdyn.spectra.nonhermitian",
    "ConvergenceError": "rmtdyn.errors",
    # symbolic layer (sympy equations P(g, z) = 0)
    "free_sum_equation": "rmtdyn.symbolic.algebra",
    "free_product_equation": "rmtdyn.symbolic.algebra",
    "equation_from_r": "rmtdyn.symbolic.transforms",
    "equation_from_s": "rmtdyn.symbolic.transforms",
    "equation_from_atoms": "rmtdyn.symbolic.transforms",
    "describe_spectrum": "rmtdyn.symbolic.show",
    # layer 2: Laplace inversion
    "invert_laplace": "rmtdyn.laplace",
    "LaplaceAccuracyWarning": "rmtdyn.laplace",
    # layer 3: DMFT and learning curves
    "LTISystem": "rmtdyn.dmft.lti",
    "LinearRegressionFlow": "rmtdyn.learning.linear_regression",
    "RandomFeatureFlow": "rmtdyn.learning.random_features",
    "OnlineSGD": "rmtdyn.learning.sgd",
    "MultiPassSGD": "rmtdyn.learning.sgd",
    "RandomFeatureMultiPassSGD": "rmtdyn.learning.sgd",
    "DeepLinearNetwork": "rmtdyn.learning.deep_linear",
    "LossCurves": "rmtdyn.learning.curves",
    "monotonicity": "rmtdyn.learning.monotonicity",
    "nonmonotonicity_phase_diagram": "rmtdyn.learning.monotonicity",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'rmtdyn' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
