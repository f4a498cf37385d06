"""A DataLoader ``worker_init_fn`` for jobs that are signalled."""
import os
import signal
import threading
from typing import Optional, Sequence

from mmengine.dataset import worker_init_fn as mmengine_worker_init_fn
from mmengine.registry import FUNCTIONS


def _exit_on_sigterm_from(parent: int) -> None:
    """Wait for SIGTERM; exit when the parent sent it (it stops its workers
    that way at exit), ignore it from anyone else."""
    while True:
        if signal.sigwaitinfo({signal.SIGTERM}).si_pid == parent:
            os._exit(0)


@FUNCTIONS.register_module()
def signal_safe_worker_init(worker_id: int,
                            num_workers: int,
                            seed: Optional[int],
                            signals: Sequence[str] = ('SIGUSR1', 'SIGTERM'),
                            disable_subprocess_warning: bool = False) -> None:
    """mmengine's worker seeding, then ``signals`` ignored in the worker.

    Slurm delivers its warning signal and SIGTERM to every process of a job
    step, DataLoader workers included. A worker dies of either (torch's own
    SIGTERM handler re-raises it), and the main process then stops with
    "DataLoader worker is killed by signal" before
    :class:`~dist_mm.engine.PreemptionCheckpointHook` can save. The main
    process handles the signal; its workers ignore it and are stopped by
    the main process as usual: SIGTERM from the main process (which
    terminates its workers at exit) still ends a worker, as torch's handler
    does. ``tools/train.py`` sets this function for the training DataLoader
    when the config sets none.

    Args:
        worker_id: Given by the DataLoader.
        num_workers: Workers of the DataLoader (seeding as mmengine's).
        seed: The run's seed; None leaves torch's per-worker seeding.
        signals: Names of the signals the workers ignore.
        disable_subprocess_warning: As in mmengine's ``worker_init_fn``.
    """
    if seed is not None:
        mmengine_worker_init_fn(worker_id, num_workers,
                                int(os.environ.get('RANK', 0)), seed,
                                disable_subprocess_warning)
    for name in signals:
        sig = signal.Signals[name]
        if sig == signal.SIGTERM:
            signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
            threading.Thread(
                target=_exit_on_sigterm_from,
                args=(os.getppid(), ),
                daemon=True).start()
        else:
            signal.signal(sig, signal.SIG_IGN)
