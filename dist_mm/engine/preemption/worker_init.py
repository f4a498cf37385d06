"""A DataLoader ``worker_init_fn`` for jobs that are signalled."""
import difflib
import os
import signal
import threading
from typing import Optional, Sequence, Union

from mmengine.dataset import worker_init_fn as mmengine_worker_init_fn
from mmengine.registry import FUNCTIONS

SignalLike = Union[str, int, signal.Signals]

#: What Slurm sends ahead of the time limit (``tools/slurm_train.sh``) and
#: before it kills a preempted or cancelled job.
PREEMPTION_SIGNALS = ('SIGUSR1', 'SIGTERM')


def as_signal(sig: SignalLike) -> signal.Signals:
    """A signal from its name (``'SIGUSR1'``, ``'usr1'``) or number.

    Raises:
        ValueError: for an unknown name, listing the closest ones.
    """
    if isinstance(sig, str):
        name = sig.upper() if sig.upper().startswith('SIG') else \
            f'SIG{sig.upper()}'
        if name not in signal.Signals.__members__:
            close = difflib.get_close_matches(name, signal.Signals.__members__)
            raise ValueError(f'unknown signal {sig!r}; closest: {close}')
        return signal.Signals[name]
    return signal.Signals(sig)


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
                            signals: Sequence[SignalLike] = PREEMPTION_SIGNALS,
                            disable_subprocess_warning: bool = False) -> None:
    """mmengine's worker seeding, then ``signals`` ignored in the worker.

    Slurm delivers its warning signal and SIGTERM to every process of a job
    step, DataLoader workers included. A worker can die of either (torch's own
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
        signals: The signals the workers ignore (names or numbers).
        disable_subprocess_warning: As in mmengine's ``worker_init_fn``.
    """
    if seed is not None:
        mmengine_worker_init_fn(worker_id, num_workers,
                                int(os.environ.get('RANK', 0)), seed,
                                disable_subprocess_warning)
    for sig in map(as_signal, signals):
        if sig == signal.SIGTERM:
            signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
            threading.Thread(
                target=_exit_on_sigterm_from,
                args=(os.getppid(), ),
                daemon=True).start()
        else:
            signal.signal(sig, signal.SIG_IGN)
