"""Layer 4: matplotlib figures. Nothing outside this package draws.

Every function takes the numbers to draw (theory arrays, simulation results)
and an optional ``ax``; it returns the Axes (or Figure) and never saves or
shows. The command line saves the figures.
"""
