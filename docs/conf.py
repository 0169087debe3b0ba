"""Sphinx configuration for the rmtdyn documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html``. Every figure
in the tutorials is produced by running code during the build (matplotlib's
``plot`` directive), so the pages cannot drift from the library.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

project = "rmtdyn"
author = "the rmtdyn developers"
copyright = "2026, the rmtdyn developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
master_doc = "index"
exclude_patterns = ["_build"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_numpy_docstring = True
napoleon_google_docstring = False

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 90)]
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\nimport rmtdyn as rd\n"

html_theme = "alabaster"
html_title = "rmtdyn"
suppress_warnings = ["myst.header"]
