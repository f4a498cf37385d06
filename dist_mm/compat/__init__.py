"""Compatibility fixes that make the OpenMMLab 2.x stack work on torch 2.x.

:func:`apply_all` is called once when :mod:`dist_mm` is imported, before
anything imports :mod:`mmrazor`. Every fix is idempotent and guarded by the
version check it depends on, so it does nothing where upstream is fine.
"""
from .atomic_save import atomic_write_bytes, write_checkpoints_atomically
from .checkpoint import (CorruptCheckpointError, UnsafeCheckpointError,
                         allow_mmengine_checkpoints,
                         explain_refused_checkpoints)
from .distributed import allow_cpu_distributed
from .inplace import fix_mmrazor_inplace, set_inplace_false
from .mmrazor_import import patch_mmrazor_import

__all__ = [
    'apply_all', 'patch_mmrazor_import', 'fix_mmrazor_inplace',
    'set_inplace_false', 'allow_mmengine_checkpoints',
    'explain_refused_checkpoints', 'UnsafeCheckpointError',
    'CorruptCheckpointError',
    'allow_cpu_distributed', 'atomic_write_bytes',
    'write_checkpoints_atomically'
]

_applied = False


def apply_all() -> None:
    """Apply every compatibility fix once (safe to call repeatedly)."""
    global _applied
    if _applied:
        return
    patch_mmrazor_import()
    fix_mmrazor_inplace()
    allow_mmengine_checkpoints()
    explain_refused_checkpoints()
    allow_cpu_distributed()
    write_checkpoints_atomically()
    _applied = True
