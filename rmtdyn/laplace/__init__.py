"""rmtdyn.laplace: inverse Laplace transforms, from resolvents to time-domain responses.

``invert_laplace(F, t, method="auto")`` with the methods ``talbot`` (fixed
Talbot contour), ``dehoog`` (accelerated Fourier series on a Bromwich line) and
``contour`` (trapezoidal rule on an ellipse around a compact spectrum); see
docs/laplace.md for which F suits which method.
"""

from rmtdyn.laplace.base import LaplaceAccuracyWarning
from rmtdyn.laplace.invert import METHODS, choose_method, invert_laplace

__all__ = ["invert_laplace", "choose_method", "LaplaceAccuracyWarning", "METHODS"]
