"""rmtdyn.dmft"""
