"""rmtdyn.cli"""
