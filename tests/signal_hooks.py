"""A hook that makes the operating system (or Slurm) signal a training
process at a chosen iteration, so that the interruption tests stop runs at
a known point instead of racing a timer. Loaded by the test configs through
``custom_imports``."""
import atexit
import os
import signal
import subprocess
import sys
import time
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class SendSignalHook(Hook):
    """After iteration ``at_iter`` of rank ``rank`` (every rank: None), in
    the run whose torchrun / Slurm restart count is ``restart``: send
    ``sig`` to this process (``group``: to its whole process group, its
    DataLoader workers included, from another process, as Slurm does), or
    run ``scancel --signal`` on the job."""

    priority = 'VERY_HIGH'  # before PreemptionCheckpointHook looks

    def __init__(self,
                 at_iter: int,
                 sig: str = 'SIGUSR1',
                 rank: Optional[int] = None,
                 restart: int = 0,
                 scancel: bool = False,
                 group: bool = False) -> None:
        self.at_iter = at_iter
        self.sig = signal.Signals[sig]
        self.rank = rank
        self.restart = restart
        self.scancel = scancel
        self.group = group

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        restart = int(
            os.environ.get('TORCHELASTIC_RESTART_COUNT',
                           os.environ.get('SLURM_RESTART_COUNT', 0)))
        if runner.iter + 1 != self.at_iter or restart != self.restart or \
                self.rank not in (None, runner.rank):
            return
        if self.scancel:
            subprocess.run([
                'scancel', f'--signal={self.sig.name[3:]}',
                os.environ['SLURM_JOB_ID']
            ],
                           check=True)
        elif self.group:
            if os.getpgid(0) != os.getpid():
                raise RuntimeError('group=True signals the process group: '
                                   'start training in a session of its own')
            # from another process, as Slurm's: DataLoader workers treat a
            # SIGTERM from their parent as the order to exit
            subprocess.run([
                sys.executable, '-c', 'import os, signal; '
                f'os.killpg({os.getpgid(0)}, signal.{self.sig.name})'
            ])
        else:
            os.kill(os.getpid(), self.sig)


@HOOKS.register_module()
class SlowExitHook(Hook):
    """Rank ``rank`` leaves ``seconds`` after the other ranks when its
    process ends, as a rank whose teardown is slow does: a launcher that
    ends a step when its first task exits (``srun --kill-on-bad-exit``)
    then signals this rank while it is still leaving."""

    def __init__(self, rank: int, seconds: float) -> None:
        self.rank = rank
        self.seconds = seconds

    def before_train(self, runner) -> None:
        if runner.rank == self.rank:
            atexit.register(time.sleep, self.seconds)
