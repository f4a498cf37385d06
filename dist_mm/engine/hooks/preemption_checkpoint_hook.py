"""Checkpoint and stop when the scheduler is about to end the job."""
import json
import logging
import os
import os.path as osp
import signal
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from mmengine.dist import (all_gather_object, all_reduce, barrier,
                           is_distributed, is_main_process)
from mmengine.hooks import CheckpointHook, Hook
from mmengine.registry import HOOKS
from mmengine.runner import EpochBasedTrainLoop

from ..atomic_save import atomic_write_bytes
from ..preemption.resumable_epoch_loop import ResumableEpochBasedTrainLoop
from ..preemption.resume import (EXIT_INTERRUPTED, INTERRUPTED_MARKER,
                                 TrainingInterrupted)
from ..preemption.worker_init import PREEMPTION_SIGNALS, SignalLike, as_signal


@HOOKS.register_module()
class PreemptionCheckpointHook(Hook):
    """Save a checkpoint and stop when the job is about to be killed.

    Cluster schedulers warn a job before they end it: Slurm sends the
    signal of ``--signal`` ahead of the time limit (``tools/slurm_train.sh``
    asks for SIGUSR1) and SIGTERM before it kills a preempted or cancelled
    job. On any of ``signals`` the hook lets the current iteration finish,
    saves ``iter_<N>.pth`` through the checkpoint hook's backend (atomic
    with ``tools/train.py``), points ``last_checkpoint`` at it, records the
    interruption in ``work_dir/interrupted.json`` and exits with status
    :data:`~dist_mm.engine.EXIT_INTERRUPTED` (75), which the launchers read
    as "requeue", not "failed". The checkpoint is a full Runner checkpoint:
    model (student, connectors, acclimated teacher parts), optimizer,
    parameter schedulers, message hub, and what the other hooks add (the
    teacher guard's start value, the random states of ``RNGStateHook``); the
    data position is its iteration. The next run in the work dir resumes
    from it automatically (see ``dist_mm.apis.train``). DataLoader workers
    must not die of the signals (Slurm signals them too):
    ``tools/train.py`` gives the training DataLoader
    :func:`~dist_mm.engine.signal_safe_worker_init`.

    Under DDP the ranks take one decision: after every iteration they
    all-reduce (max) whether a signal arrived, so all stop after the same
    iteration even when only one rank was signalled; rank 0 writes.

    With ``interval_minutes`` the hook also saves a checkpoint at most every
    that many minutes, beside the schedule's own, so that a job killed
    without warning (a node failure) loses at most that much training. Only
    the newest ``max_keep_timed`` of these (and of the checkpoints saved at
    a signal) are kept; the schedule's checkpoints are never removed.

    Args:
        signals: Signals that interrupt training (names or numbers).
        interval_minutes: Minutes between time-based checkpoints; None
            (default) saves none.
        max_keep_timed: How many time-based checkpoints are kept.
    """

    # after CheckpointHook (VERY_LOW): a checkpoint it saved at this
    # iteration is not written twice
    priority = 'LOWEST'

    def __init__(self,
                 signals: Sequence[SignalLike] = PREEMPTION_SIGNALS,
                 interval_minutes: Optional[float] = None,
                 max_keep_timed: int = 1) -> None:
        if interval_minutes is not None and interval_minutes <= 0:
            raise ValueError('interval_minutes must be positive or None, got '
                             f'{interval_minutes}')
        if max_keep_timed < 1:
            raise ValueError(
                f'max_keep_timed must be at least 1, got {max_keep_timed}')
        self.signals = [as_signal(s) for s in signals]
        self.interval_minutes = interval_minutes
        self.max_keep_timed = max_keep_timed
        self.timed: List[str] = []  # time-based checkpoints, oldest first
        self._received = 0
        self._previous: Dict[signal.Signals, object] = {}
        self._last_save = time.monotonic()

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        if isinstance(loop, EpochBasedTrainLoop) and not isinstance(
                loop, ResumableEpochBasedTrainLoop):
            raise ValueError(
                'PreemptionCheckpointHook saves checkpoints inside epochs, '
                "but mmengine's EpochBasedTrainLoop restarts a resumed epoch "
                'from its first batch. Use train_cfg = dict(type='
                "'ResumableEpochBasedTrainLoop', ...) (tools/train.py does "
                'this for you).')
        self._received = 0
        self._last_save = time.monotonic()
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        names = '/'.join(s.name for s in self.signals)
        timed = (f'; a checkpoint every {self.interval_minutes:g} min'
                 if self.interval_minutes else '')
        runner.logger.info(
            f'PreemptionCheckpointHook: on {names} a checkpoint is saved '
            'after the current iteration and training exits with status '
            f'{EXIT_INTERRUPTED}{timed}.')

    def _on_signal(self, signum: int, frame) -> None:
        if not self._received:
            self._received = signum

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        signum, due = self._decide()
        if signum:
            self._interrupt(runner, signal.Signals(signum))
        elif due:
            self._save(runner)
            self._prune(runner)

    def _decide(self) -> Tuple[int, bool]:
        """(signal received on any rank or 0, time-based save due)."""
        due = bool(self.interval_minutes) and \
            time.monotonic() - self._last_save >= 60 * self.interval_minutes
        if not is_distributed():
            return self._received, due
        flags = torch.tensor([self._received, int(due)], dtype=torch.int64)
        all_reduce(flags, op='max')
        return int(flags[0]), bool(flags[1])

    def _save(self, runner) -> str:
        """Save ``iter_<N>.pth`` unless the checkpoint hook just did (then
        that one counts); returns its path."""
        self._last_save = time.monotonic()
        hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)),
                    None)
        out_dir = getattr(hook, 'out_dir', None) or runner.work_dir
        filename = f'iter_{runner.iter + 1}.pth'
        path = osp.join(out_dir, filename)
        if runner.message_hub.get_info('last_ckpt') == path:
            return path  # the schedule's: never pruned
        # listed before saving, so that a run resumed from it prunes it
        self.timed.append(path)
        runner.save_checkpoint(
            out_dir,
            filename,
            by_epoch=False,
            backend_args=getattr(hook, 'backend_args', None))
        runner.message_hub.update_info('last_ckpt', path)
        if is_main_process():
            with open(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as f:
                f.write(path)
        return path

    def _prune(self, runner) -> None:
        while len(self.timed) > self.max_keep_timed:
            old = self.timed.pop(0)
            if is_main_process() and osp.isfile(old):
                runner.logger.info(f'Removing time-based checkpoint {old}')
                os.remove(old)

    def _interrupt(self, runner, sig: signal.Signals) -> None:
        path = self._save(runner)
        stopped = all_gather_object(runner.iter + 1)  # every rank's iteration
        if is_main_process():
            record = dict(
                signal=sig.name,
                iter=runner.iter + 1,
                epoch=runner.epoch,
                checkpoint=path,
                rank_iters=stopped,
                time=time.strftime('%Y-%m-%d %H:%M:%S'))
            atomic_write_bytes(
                json.dumps(record, indent=2).encode(),
                osp.join(runner.work_dir, INTERRUPTED_MARKER))
        runner.logger.log(
            logging.WARNING,
            f'Received {sig.name}: stopped after iteration {runner.iter + 1} '
            f'(all {len(stopped)} rank(s)) and saved {path}. Exiting with '
            f'status {EXIT_INTERRUPTED}; the next run in {runner.work_dir} '
            'resumes from this checkpoint automatically.')
        barrier()
        self._restore_handlers()
        raise TrainingInterrupted()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # a resumed run goes on pruning the time-based checkpoints
        checkpoint.setdefault('meta', {})['timed_checkpoints'] = \
            list(self.timed)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self.timed = list(
            checkpoint.get('meta', {}).get('timed_checkpoints', []))

    def after_train(self, runner) -> None:
        self._restore_handlers()
        marker = osp.join(runner.work_dir, INTERRUPTED_MARKER)
        if is_main_process() and osp.isfile(marker):
            os.remove(marker)

    def _restore_handlers(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
