"""Layer 1: spectral laws of random matrices (Hermitian and non-Hermitian).

Every Hermitian law implements the ``Spectrum`` protocol of ``rmtdyn.spectra.base``.
"""
