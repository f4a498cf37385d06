"""Compatibility fixes that make the OpenMMLab 2.x stack work on torch 2.x.

:func:`apply_all` is called once when :mod:`dist_mm` is imported, before
anything imports :mod:`mmrazor`. Every fix is idempotent. Which ones check
that they are needed, and which apply unconditionally:

* guarded: the mmrazor import fix (only when mmrazor's torch-version
  mapping lacks what torch 2.x removed) and the checkpoint allow-list (only
  where ``torch.serialization.add_safe_globals`` exists, torch >= 2.4);
* unconditional: the in-place fix (mmrazor's recursion over ``_modules``),
  the CPU launcher fixes (they act only on CPU-only machines), the store
  prefix of restarted torchrun workers (it acts only after a restart) and
  the clear errors for unsafe or unreadable checkpoints.

Atomic checkpoint saves are not here (they patch nothing): they are a file
backend of :mod:`dist_mm.engine`.
"""
from .checkpoint import (CorruptCheckpointError, UnsafeCheckpointError,
                         allow_mmengine_checkpoints,
                         explain_refused_checkpoints)
from .distributed import allow_cpu_distributed
from .elastic_restart import fresh_store_after_restart
from .inplace import fix_mmrazor_inplace, set_inplace_false
from .mmrazor_import import patch_mmrazor_import

__all__ = [
    'apply_all', 'patch_mmrazor_import', 'fix_mmrazor_inplace',
    'set_inplace_false', 'allow_mmengine_checkpoints',
    'explain_refused_checkpoints', 'UnsafeCheckpointError',
    'CorruptCheckpointError', 'allow_cpu_distributed',
    'fresh_store_after_restart'
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
    fresh_store_after_restart()
    _applied = True
