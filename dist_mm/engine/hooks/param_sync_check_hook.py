"""Check that data-parallel ranks hold the same parameters."""
from typing import Dict, List, Optional

from torch import nn

from mmengine.dist import (all_gather_object, broadcast, get_world_size,
                           is_distributed)
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from .utils import unwrapped


def check_params_in_sync(model: nn.Module,
                         atol: float = 0.0) -> Dict[int, List[str]]:
    """Compare every rank's trainable parameters with rank 0's.

    Rank 0 broadcasts each trainable parameter (one model-sized broadcast in
    all); every rank compares it with its own copy.

    Args:
        model: The (unwrapped) model, the same architecture on all ranks.
        atol: Largest absolute difference that still counts as equal.

    Returns:
        dict: ``{rank: [names of parameters that differ from rank 0]}`` for
        the ranks that differ (the same on every rank); empty when all agree
        or when not running distributed.
    """
    if not is_distributed():
        return {}
    differ = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        reference = param.detach().clone()
        broadcast(reference, src=0)
        if (reference - param.detach()).abs().max().item() > atol:
            differ.append(name)
    gathered = all_gather_object(differ)
    return {rank: names for rank, names in enumerate(gathered) if names}


@HOOKS.register_module()
class ParamSyncCheckHook(Hook):
    """Fail loudly if data-parallel ranks stop holding the same parameters.

    Under DDP every rank must apply the same update; a parameter that
    misses gradient synchronisation (a module outside DDP, a rank-dependent
    branch, a custom parameter group) drifts silently. This hook compares
    all trainable parameters across ranks every ``interval`` iterations and
    after the last one, and raises naming the parameters that differ. Its
    cost is one broadcast of the trainable parameters per check. Buffers
    (e.g. BatchNorm statistics with ``broadcast_buffers=False``) are not
    compared: they legitimately differ between ranks.

    Args:
        interval: Check every ``interval`` training iterations.
        atol: Largest absolute difference that still counts as equal.
    """

    priority = 'LOWEST'

    def __init__(self, interval: int = 1000, atol: float = 0.0) -> None:
        self.interval = interval
        self.atol = atol

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not (self.every_n_train_iters(runner, self.interval)
                or self.is_last_train_iter(runner)):
            return
        model = unwrapped(runner)
        differ = check_params_in_sync(model, self.atol)
        if differ:
            listing = '; '.join(f'rank {rank}: {", ".join(names[:10])}'
                                for rank, names in differ.items())
            raise RuntimeError(
                f'Parameters differ between data-parallel ranks after '
                f'iteration {runner.iter + 1} ({listing}). They are not '
                'synchronised by DDP: make sure they are part of the wrapped '
                'model and receive a gradient on every rank.')
        if is_distributed():
            count = sum(p.requires_grad for p in model.parameters())
            runner.logger.info(
                f'ParamSyncCheckHook: {count} trainable parameters identical '
                f'on {get_world_size()} ranks after iteration '
                f'{runner.iter + 1}')
