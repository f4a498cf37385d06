"""Mixed precision: ``tools/train.py --amp`` on GPUs and on CPU."""
from contextlib import contextmanager
from typing import Dict, Union

import torch
from torch import nn

from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

#: Initial loss scale of ``--amp`` on GPUs (dynamic scaling from there). A
#: flat-start student's first DIST gradients overflow float16 at mmengine's
#: default 2^16, and ``GradScaler`` skips the first 5-7 steps while it finds
#: its scale (RetinaNet and Faster R-CNN DIST+, on CPU and on an H200,
#: ``tests/test_fp16.py``); from 2^8 it skips none. mmdet's own fp16
#: configs use a static 512.
AMP_INIT_SCALE = 2.0**8


def amp_optim_wrapper(optim_wrapper: Dict, device: str) -> Dict:
    """``optim_wrapper`` switched to mixed precision on ``device``: on CPU
    :class:`CPUAmpOptimWrapper` (bfloat16), else mmengine's
    ``AmpOptimWrapper`` with dynamic loss scaling from
    :data:`AMP_INIT_SCALE`, unless the config sets its own ``loss_scale``."""
    optim_wrapper = dict(optim_wrapper)
    if device == 'cpu':  # mmengine's AmpOptimWrapper needs an accelerator
        optim_wrapper['type'] = 'CPUAmpOptimWrapper'
    else:
        optim_wrapper['type'] = 'AmpOptimWrapper'
        optim_wrapper.setdefault('loss_scale', dict(init_scale=AMP_INIT_SCALE))
    return optim_wrapper


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
