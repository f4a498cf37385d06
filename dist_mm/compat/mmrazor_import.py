"""Let mmrazor 1.0.0 import on torch 2.x.

Upstream cause: ``mmrazor.structures.quantization.backend_config`` imports
``reverse2``, ``reverse3`` and ``reverse_sequential_wrapper2`` from
``torch.ao.quantization.fuser_method_mappings`` (removed in torch 2.0) and
builds every quantization backend config at import time with torch APIs that
changed since. mmrazor is no longer maintained, so this is never fixed there.

The fix provides the three helpers (they are two-line adapters) and replaces
the module that builds the backend configs at import with one whose
``BackendConfigs`` raises a clear error when a quantization backend is
requested. Distillation never touches quantization.
"""
import sys
import types
from typing import Any, Callable

import torch

_MAPPING_MODULE = 'mmrazor.structures.quantization.backend_config.mapping'


def _reverse2(f: Callable) -> Callable:

    def reversed_(is_qat: bool, x: Any, y: Any) -> Any:
        return f(is_qat, y, x)

    return reversed_


def _reverse3(f: Callable) -> Callable:

    def reversed_(is_qat: bool, x: Any, w: Any) -> Any:
        y, z = w
        return f(is_qat, z, y, x)

    return reversed_


def _reverse_sequential_wrapper2(sequential: Callable) -> Callable:

    def fuser_method(is_qat: bool, x: Any, y: Any) -> Any:
        return sequential(y, x)

    return fuser_method


class _UnavailableBackendConfigs(dict):
    """Stand-in for mmrazor's quantization ``BackendConfigs`` on torch 2.x."""

    def __missing__(self, key: str) -> None:
        raise RuntimeError(
            f'mmrazor quantization backend {key!r} is not available: '
            'mmrazor 1.0.0 builds its quantization backend configs with '
            f'torch APIs that torch {torch.__version__} no longer has. '
            'dist_mm supports distillation only; use torch<2.0 with '
            'mmrazor for quantization.')


def patch_mmrazor_import() -> bool:
    """Make ``import mmrazor.models`` work on torch 2.x.

    Returns:
        bool: True if a patch was applied, False if none was needed.
    """
    from torch.ao.quantization import fuser_method_mappings as fmm
    if hasattr(fmm, 'reverse2') and _MAPPING_MODULE in sys.modules:
        return False
    if 'mmrazor.structures.quantization' in sys.modules:
        # mmrazor already imported (successfully, or it would have raised).
        return False
    fmm.reverse2 = getattr(fmm, 'reverse2', _reverse2)
    fmm.reverse3 = getattr(fmm, 'reverse3', _reverse3)
    fmm.reverse_sequential_wrapper2 = getattr(fmm,
                                              'reverse_sequential_wrapper2',
                                              _reverse_sequential_wrapper2)
    # mmrazor accesses ``torch.ao.quantization.backend_config.utils`` as an
    # attribute; it is only bound once the submodule is imported.
    import torch.ao.quantization.backend_config.utils  # noqa: F401

    mapping = types.ModuleType(_MAPPING_MODULE)
    mapping.__doc__ = __doc__
    mapping.BackendConfigs = _UnavailableBackendConfigs()
    sys.modules.setdefault(_MAPPING_MODULE, mapping)
    return True
