"""Stop or warn when an acclimated teacher degrades."""
import logging
from collections import deque
from typing import Deque, List, Optional

import torch

from mmengine.dist import all_reduce, is_distributed
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


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
