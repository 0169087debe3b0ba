"""rmtdyn.simulate: finite-N counterparts of the models (seeded, with standard errors).

Names are imported lazily from their modules (add one line per public simulation).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "simulate_linear_regression": "rmtdyn.simulate.linear_regression",
    "simulate_lti": "rmtdyn.simulate.lti",
    "lti_paths": "rmtdyn.simulate.lti",
    "wishart_lti_paths": "rmtdyn.simulate.wishart",
    "simulate_deep_linear": "rmtdyn.simulate.deep_linear",
}


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'rmtdyn.simulate' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), name)


def __dir__():
    return sorted(_EXPORTS)
