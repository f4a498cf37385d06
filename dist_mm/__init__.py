"""dist_mm: DIST / DIST+ knowledge distillation for OpenMMLab.

Importing the package applies the torch 2.x compatibility fixes (before
anything imports mmrazor) and registers dist_mm's classes into MMRazor's
registries, so configs only need::

    custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)
"""
import sys

from .compat import apply_all as _apply_compat

_recursion_limit = sys.getrecursionlimit()
_apply_compat()

from . import algorithms, connectors, engine, losses  # noqa: E402,F401
from .version import __version__  # noqa: E402

# mmrazor.models' fx_tracer.py and channel_flow.py call
# sys.setrecursionlimit(2**20) when imported (for MMRazor's fx tracing, which
# DIST does not use): runaway recursion anywhere in the process would then
# exhaust memory instead of raising RecursionError. Importing dist_mm leaves
# the limit as it found it.
sys.setrecursionlimit(_recursion_limit)

__all__ = ["__version__", "algorithms", "connectors", "engine", "losses"]
