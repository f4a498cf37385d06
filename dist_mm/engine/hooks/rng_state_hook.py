"""Keep the random states in checkpoints."""
import random
from typing import Any, List, Optional, Tuple

import numpy as np
import torch

from mmengine.dist import all_gather_object, is_distributed
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import EpochBasedTrainLoop


def _host_state() -> Tuple[Any, Any]:
    return np.random.get_state(), random.getstate()


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Store the global random states in checkpoints and restore them on
    resume, so that a resumed run draws the same dropout masks, flips and
    crops as an uninterrupted one.

    mmengine checkpoints keep the seed but not the states reached by the
    checkpoint's iteration. For every rank the hook saves torch's CPU and
    CUDA states, set again when the checkpoint is loaded, and the numpy and
    python states at the start of the checkpoint's epoch, which the data
    pipeline draws from. On resume the loops re-draw the batches the
    checkpoint has already trained on: ``IterBasedTrainLoop`` from the start
    of training (its "Advance dataloader" step, which reproduces the
    pipeline's states by itself), the epoch loops from the start of the
    epoch, whose states are therefore restored first.

    Only rank 0 runs ``before_save_checkpoint`` (``Runner.save_checkpoint``
    is ``master_only``), so under DDP the states of all ranks are gathered
    after every training iteration and epoch, before any checkpoint hook
    saves (one small ``all_gather_object``).
    """

    # before CheckpointHook / PreemptionCheckpointHook (VERY_LOW / LOWEST)
    priority = 'LOW'

    def __init__(self) -> None:
        self._gathered: Optional[List[dict]] = None
        self._epoch_start = _host_state()

    def _state(self) -> dict:
        numpy_state, python_state = self._epoch_start
        return dict(
            cpu=torch.get_rng_state(),
            cuda=torch.cuda.get_rng_state_all()
            if torch.cuda.is_available() else [],
            epoch_numpy=numpy_state,
            epoch_python=python_state)

    def _gather(self) -> None:
        if is_distributed():
            self._gathered = all_gather_object(self._state())

    def before_train_epoch(self, runner) -> None:
        self._epoch_start = _host_state()

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        self._gather()

    def after_train_epoch(self, runner) -> None:
        # an epoch-end checkpoint resumes into the next epoch
        self._epoch_start = _host_state()
        self._gather()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        states = self._gathered if is_distributed() and self._gathered \
            else [self._state()]
        checkpoint.setdefault('meta', {})['rng_states'] = states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        states = checkpoint.get('meta', {}).get('rng_states')
        if not states:
            runner.logger.warning('RNGStateHook: the checkpoint holds no '
                                  'random state; the resumed run draws '
                                  'different random numbers.')
            return
        state = states[runner.rank if runner.rank < len(states) else 0]
        torch.set_rng_state(state['cpu'])
        if torch.cuda.is_available() and state['cuda']:
            torch.cuda.set_rng_state_all(state['cuda'])
        # (_train_loop: a test run leaves the train loop unbuilt)
        if 'epoch_numpy' in state and isinstance(
                getattr(runner, '_train_loop', None), EpochBasedTrainLoop):
            np.random.set_state(state['epoch_numpy'])
            random.setstate(state['epoch_python'])
