"""Really switch off in-place activations in teacher and student.

Upstream cause: mmrazor 1.0.0 ``BaseAlgorithm.set_module_inplace_false``
recurses through ``Module._modules`` only while it is an ``OrderedDict``; on
torch 2.x ``_modules`` is a plain ``dict``, so the recursion stops at the
root and every ``ReLU(inplace=True)`` stays in place. An in-place activation
after a recorded module then overwrites the recorded tensor (the recorder
keeps a reference, not a copy), and the distillation loss silently sees
post-activation values.
"""
from typing import Mapping, Union

from torch import nn


def set_inplace_false(model: Union[nn.Module, Mapping]) -> int:
    """Set ``inplace=False`` on every submodule that has a bool ``inplace``.

    Args:
        model: A module, or a mapping whose values are modules.

    Returns:
        int: The number of modules that were switched off.
    """
    roots = model.values() if isinstance(model, Mapping) else [model]
    count = 0
    for root in roots:
        if not isinstance(root, nn.Module):
            continue
        for module in root.modules():
            if getattr(module, 'inplace', None) is True:
                module.inplace = False
                count += 1
    return count


def _set_module_inplace_false(self, architecture, varstr: str = '') -> None:
    """Drop-in replacement for ``BaseAlgorithm.set_module_inplace_false``."""
    set_inplace_false(architecture)


def fix_mmrazor_inplace() -> None:
    """Replace mmrazor's broken recursion with :func:`set_inplace_false`.

    The upstream method stays reachable as
    ``BaseAlgorithm._upstream_set_module_inplace_false`` (for tests).
    """
    from mmrazor.models.algorithms.base import BaseAlgorithm
    if BaseAlgorithm.set_module_inplace_false is _set_module_inplace_false:
        return
    BaseAlgorithm._upstream_set_module_inplace_false = \
        BaseAlgorithm.set_module_inplace_false
    BaseAlgorithm.set_module_inplace_false = _set_module_inplace_false
