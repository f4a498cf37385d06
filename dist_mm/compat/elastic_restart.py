"""Workers that torchrun restarted meet on a fresh part of its store.

Upstream cause (torch 2.x ``torch.distributed.elastic``): the static
rendezvous of ``torchrun --master_addr/--master_port`` creates its TCPStore
once for the whole job (``StaticTCPRendezvous.next_rendezvous``), and the
workers of every restart join it under the same keys: ``init_process_group``
prefixes them with the process group's name only. A restarted rank can read
the address its peer published before the restart, and then fails with
gloo's "Connection refused" (NCCL waits forever), depending on which
process writes first.

Workers of a restart (``TORCHELASTIC_RESTART_COUNT`` > 0) that use the
agent's store therefore initialise the default process group on that store
under a prefix of their own attempt. The first attempt is unchanged.
"""
import functools
import os
from datetime import timedelta
from typing import Callable

import torch.distributed as dist


def restart_count(var: str = 'TORCHELASTIC_RESTART_COUNT') -> int:
    """The restart counter a launcher sets in ``var`` (0 when unset)."""
    count = os.environ.get(var, '0')
    return int(count) if count.isdigit() else 0


def _fresh_store_after_restart(init_fn: Callable) -> Callable:
    """Wrap mmengine's ``_init_dist_pytorch``."""

    @functools.wraps(init_fn)
    def init(backend: str, *args, **kwargs) -> None:
        restart = restart_count()
        if restart and os.environ.get('TORCHELASTIC_USE_AGENT_STORE') == \
                'True' and not {'store', 'init_method'} & kwargs.keys():
            store = dist.TCPStore(
                os.environ['MASTER_ADDR'],
                int(os.environ['MASTER_PORT']),
                int(os.environ['WORLD_SIZE']),
                is_master=False,
                timeout=kwargs.get('timeout', timedelta(minutes=30)))
            kwargs.update(
                store=dist.PrefixStore(f'dist_mm/restart_{restart}', store),
                rank=int(os.environ['RANK']),
                world_size=int(os.environ['WORLD_SIZE']))
        return init_fn(backend, *args, **kwargs)

    init.dist_mm_fresh_store = True
    return init


def fresh_store_after_restart() -> None:
    """Give restarted torchrun workers a store prefix of their attempt."""
    from mmengine.dist import utils as dist_utils
    if not getattr(dist_utils._init_dist_pytorch, 'dist_mm_fresh_store',
                   False):
        dist_utils._init_dist_pytorch = _fresh_store_after_restart(
            dist_utils._init_dist_pytorch)
