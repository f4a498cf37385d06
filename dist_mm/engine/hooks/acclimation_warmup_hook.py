"""Start teacher acclimation after a warm-up."""
from typing import Dict, Optional

from torch import nn

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ...losses import RelationLoss
from .utils import unwrapped


@HOOKS.register_module()
class AcclimationWarmupHook(Hook):
    """Start teacher acclimation once the student has learned something.

    The paper acclimates from the first iteration, with an ImageNet
    pre-trained student. A student trained from scratch is random at the
    start, and acclimating the teacher's non-target relations towards it
    then only blurs the teacher's targets. This hook multiplies the
    ``loss_weight`` of every ``TeacherAcclimationLoss`` of the distiller by
    0 before iteration ``begin``, by a linear ramp up to 1 at ``end``, and
    by 1 from there on. The factor follows ``runner.iter``, so a resumed run
    continues the same schedule. While the factor is 0 the acclimated
    teacher gets zero gradients and, without weight decay (the configs'
    ``decay_mult=0``), stays as loaded.

    Args:
        begin: Iteration where acclimation starts.
        end: Iteration where it reaches its full weight (``begin``: a
            step).
    """

    priority = 'NORMAL'

    def __init__(self, begin: int, end: Optional[int] = None) -> None:
        end = begin if end is None else end
        if not 0 <= begin <= end:
            raise ValueError(f'AcclimationWarmupHook needs 0 <= begin <= end, '
                             f'got begin={begin}, end={end}')
        self.begin = begin
        self.end = end
        self._full: Dict[nn.Module, float] = {}

    def factor(self, iteration: int) -> float:
        """The multiplier of the acclimation weight at ``iteration``."""
        if iteration < self.begin:
            return 0.0
        if iteration >= self.end:
            return 1.0
        return (iteration - self.begin) / (self.end - self.begin)

    def before_train(self, runner) -> None:
        model = unwrapped(runner)
        losses = getattr(
            getattr(model, 'distiller', None), 'distill_losses', {})
        self._full = {
            loss: loss.loss_weight
            for loss in losses.values()
            if isinstance(loss, RelationLoss) and loss.acclimates_teacher
        }
        if not self._full:
            raise ValueError(
                'AcclimationWarmupHook: the model has no '
                'TeacherAcclimationLoss in model.distiller.distill_losses '
                f'(model: {type(model).__name__}, losses: '
                f'{sorted(losses)}); use it with a DIST+ config or remove it '
                'from custom_hooks.')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        factor = self.factor(runner.iter)
        for loss, weight in self._full.items():
            loss.loss_weight = weight * factor
