"""Mixed precision for CPU training (``tools/train.py --amp`` without GPU)."""
from contextlib import contextmanager
from typing import Union

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS
from torch import nn


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """Optimizer wrapper that runs forward passes under CPU autocast.

    mmengine's ``AmpOptimWrapper`` refuses to run without an accelerator.
    On CPU, autocast to bfloat16 needs no loss scaling (bfloat16 has the
    exponent range of float32), so this is a plain :class:`OptimWrapper`
    whose ``optim_context`` adds ``torch.autocast('cpu')``. The DIST+ losses
    compute their correlations in float32 under autocast.

    Args:
        dtype: Autocast dtype, ``'bfloat16'`` (default) or ``'float16'``.
        **kwargs: Passed to :class:`OptimWrapper`.
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype,
                                                              str) else dtype

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=self.cast_dtype):
            yield
