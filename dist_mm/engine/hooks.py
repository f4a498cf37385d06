"""Hooks for distributed distillation runs."""
import logging
from collections import deque
from typing import Deque, Dict, List, Optional

import torch
from torch import nn

from mmengine.dist import (all_gather_object, all_reduce, broadcast,
                           get_world_size, is_distributed)
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from ..losses import TeacherAcclimationLoss


def unwrapped(runner) -> nn.Module:
    """The runner's model without its DDP / FSDP wrapper."""
    return runner.model.module if is_model_wrapper(
        runner.model) else runner.model


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


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Store torch's global random state in checkpoints and restore it on
    resume, so that a resumed run draws the same dropout masks (and other
    global-RNG randomness) as an uninterrupted one.

    mmengine checkpoints keep the seed but not the state reached by the
    checkpoint's iteration. The CPU and CUDA states of every rank are saved
    (gathered to the rank that writes the file); numpy / python states are
    not, because mmengine re-draws the skipped data pipeline on resume,
    which reproduces them.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(
            cpu=torch.get_rng_state(),
            cuda=torch.cuda.get_rng_state_all()
            if torch.cuda.is_available() else [])
        checkpoint.setdefault('meta', {})['rng_states'] = \
            all_gather_object(state)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        states = checkpoint.get('meta', {}).get('rng_states')
        if not states:
            runner.logger.warning('RNGStateHook: the checkpoint holds no '
                                  'random state; the resumed run draws '
                                  'different random numbers.')
            return
        rank = runner.rank if runner.rank < len(states) else 0
        torch.set_rng_state(states[rank]['cpu'])
        if torch.cuda.is_available() and states[rank]['cuda']:
            torch.cuda.set_rng_state_all(states[rank]['cuda'])


@HOOKS.register_module()
class TeacherGuardHook(Hook):
    """Warn or stop when an acclimated teacher stops being a teacher.

    ``DISTPlusDistill`` logs ``teacher.train_acc``, the acclimated teacher's
    top-1 accuracy on the instances its acclimation losses see in each
    training batch. The mean over the first ``window`` iterations is where
    the teacher started; once the mean over the last ``window`` iterations
    is more than ``max_drop`` below it, the hook warns (``action='warn'``,
    once per ``window`` iterations) or stops training with a message naming
    both figures and what to change (``action='stop'``). Under DDP the
    accuracy is averaged over the ranks that report one (an all-reduce of
    two scalars per iteration), so every rank takes the same decision.

    Args:
        max_drop: Largest tolerated drop of the accuracy, as a fraction
            (0.05: five points).
        window: Iterations averaged for the start and the current value.
        action: ``'warn'`` or ``'stop'``.
    """

    priority = 'NORMAL'
    KEY = 'teacher.train_acc'

    def __init__(self,
                 max_drop: float = 0.05,
                 window: int = 20,
                 action: str = 'stop') -> None:
        if action not in ('warn', 'stop'):
            raise ValueError(f"action must be 'warn' or 'stop', got "
                             f'{action!r}')
        if not 0 < max_drop < 1 or window < 1:
            raise ValueError('max_drop must lie in (0, 1) and window be '
                             f'positive, got {max_drop} and {window}')
        self.max_drop = max_drop
        self.window = window
        self.action = action
        self.start: Optional[float] = None
        self._first: List[float] = []
        self._recent: Deque[float] = deque(maxlen=window)
        self._last_warning = -window

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        present = bool(outputs) and self.KEY in outputs
        if is_distributed():
            # every rank reduces, also one whose batch had no instance to
            # score (e.g. no foreground anchor), so that none waits forever
            total = torch.tensor(
                [float(outputs[self.KEY]) if present else 0.0,
                 float(present)],
                dtype=torch.float64)
            all_reduce(total)
            if total[1] == 0:
                return
            accuracy = float(total[0] / total[1])
        elif present:
            accuracy = float(outputs[self.KEY])
        else:
            return
        if self.start is None:
            self._first.append(accuracy)
            if len(self._first) == self.window:
                self.start = sum(self._first) / self.window
            return
        self._recent.append(accuracy)
        if len(self._recent) < self.window:
            return
        current = sum(self._recent) / self.window
        if self.start - current <= self.max_drop:
            return
        message = (
            f'TeacherGuardHook: the acclimated teacher\'s accuracy on the '
            f'training batches fell from {self.start:.3f} (mean of the first '
            f'{self.window} iterations) to {current:.3f} (last {self.window}, '
            f'iteration {runner.iter + 1}), more than max_drop='
            f'{self.max_drop}. Acclimation is destroying the teacher: lower '
            "the teacher's lr (paramwise_cfg custom_keys 'teacher.' lr_mult), "
            'raise TeacherAcclimationLoss target_weight, or acclimate fewer '
            'modules.')
        if self.action == 'stop':
            raise RuntimeError(message)
        if runner.iter - self._last_warning >= self.window:
            self._last_warning = runner.iter
            runner.logger.log(logging.WARNING, message)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # a resumed run compares with where the teacher really started
        if self.start is not None:
            checkpoint.setdefault('meta', {})['teacher_start_acc'] = \
                self.start

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        start = checkpoint.get('meta', {}).get('teacher_start_acc')
        if start is not None:
            self.start = float(start)


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
            if isinstance(loss, TeacherAcclimationLoss)
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
