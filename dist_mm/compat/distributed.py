"""Multi-process training on CPU-only nodes with mmengine's launchers.

Upstream causes (mmengine 0.10.x), each fatal on a node without GPUs:

* ``_init_dist_pytorch`` and ``_init_dist_slurm`` call
  ``torch.cuda.set_device`` unconditionally (``AttributeError`` on a CPU
  build of torch), and the slurm path computes the local rank as
  ``SLURM_PROCID % torch.cuda.device_count()`` when ``SLURM_LOCALID`` is
  missing (``ZeroDivisionError``);
* the configs' ``backend='nccl'`` needs GPUs;
* ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to
  ``DistributedDataParallel``, which rejects ``device_ids`` for CPU modules.

On CPU the fixes skip ``set_device``, use the ``gloo`` backend and build DDP
without ``device_ids``. Where an accelerator is present nothing changes.
"""
import contextlib
import functools
import os
from typing import Callable, Iterator

import torch


def _cpu_only() -> bool:
    from mmengine.device import get_device
    return get_device() == 'cpu'


@contextlib.contextmanager
def _without_cuda_set_device() -> Iterator[None]:
    original = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = original


def _cpu_safe_init(init_fn: Callable) -> Callable:
    """Wrap an mmengine ``_init_dist_*`` launcher for CPU-only nodes."""

    @functools.wraps(init_fn)
    def init(backend: str, *args, **kwargs) -> None:
        if not _cpu_only():
            return init_fn(backend, *args, **kwargs)
        if backend != 'gloo':
            from mmengine.logging import print_log
            print_log(
                f'No GPU on this node: using the gloo backend instead '
                f'of {backend!r}.',
                logger='current')
            backend = 'gloo'
        if 'SLURM_PROCID' in os.environ and 'SLURM_LOCALID' not in os.environ:
            per_node = int(
                os.environ.get('SLURM_NTASKS_PER_NODE',
                               os.environ['SLURM_NTASKS']))
            os.environ['SLURM_LOCALID'] = str(
                int(os.environ['SLURM_PROCID']) % per_node)
        with _without_cuda_set_device():
            return init_fn(backend, *args, **kwargs)

    init.dist_mm_cpu_safe = True
    return init


def _cpu_safe_ddp_init(ddp_init: Callable) -> Callable:
    """Drop ``device_ids`` when the wrapped module lives on the CPU."""

    @functools.wraps(ddp_init)
    def __init__(self, module: torch.nn.Module, *args, **kwargs) -> None:
        if kwargs.get('device_ids') is not None and all(
                p.device.type == 'cpu' for p in module.parameters()):
            kwargs['device_ids'] = None
        ddp_init(self, module, *args, **kwargs)

    __init__.dist_mm_cpu_safe = True
    return __init__


def allow_cpu_distributed() -> None:
    """Make ``--launcher pytorch`` / ``--launcher slurm`` work without GPUs."""
    from mmengine.dist import utils as dist_utils
    from mmengine.model import MMDistributedDataParallel
    for name in ('_init_dist_pytorch', '_init_dist_slurm'):
        fn = getattr(dist_utils, name)
        if not getattr(fn, 'dist_mm_cpu_safe', False):
            setattr(dist_utils, name, _cpu_safe_init(fn))
    if not getattr(MMDistributedDataParallel.__init__, 'dist_mm_cpu_safe',
                   False):
        MMDistributedDataParallel.__init__ = _cpu_safe_ddp_init(
            MMDistributedDataParallel.__init__)
