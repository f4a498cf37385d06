# Sphinx configuration of the dist_mm docs (MyST Markdown pages, API pages
# generated from the docstrings). Build: sphinx-build -W -b html docs/en
# docs/en/_build/html
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from dist_mm.version import __version__  # noqa: E402

project = 'dist_mm'
copyright = '2026, dist_mm contributors'
author = 'dist_mm contributors'
version = release = __version__

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
    'sphinx_copybutton',
]
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
myst_enable_extensions = ['colon_fence']
myst_heading_anchors = 3
exclude_patterns = ['_build']

autodoc_member_order = 'bysource'
autodoc_default_options = {'members': True, 'show-inheritance': True}
autodoc_typehints = 'description'
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = 'furo'
html_title = f'dist_mm {release}'
html_static_path = []
