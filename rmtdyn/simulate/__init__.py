"""rmtdyn.simulate"""
