"""rmtdyn.laplace"""
