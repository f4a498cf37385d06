"""dist_mm: DIST / DIST+ knowledge distillation for OpenMMLab.

Importing the package applies the torch 2.x compatibility fixes (before
anything imports mmrazor) and registers dist_mm's classes into MMRazor's
registries, so configs only need::

    custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)
"""
from .compat import apply_all as _apply_compat

_apply_compat()

from . import algorithms, engine, losses  # noqa: E402,F401  (registries)
from .version import __version__  # noqa: E402

__all__ = ["__version__", "algorithms", "engine", "losses"]
