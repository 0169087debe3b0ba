"""rmtdyn.learning"""
