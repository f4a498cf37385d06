"""What a preempted or restarted run needs: the epoch loop that resumes
mid-epoch, the interrupted-run marker and exit status, and signal-safe
DataLoader workers."""
from .resumable_epoch_loop import ResumableEpochBasedTrainLoop
from .resume import (EXIT_INTERRUPTED, INTERRUPTED_MARKER, TrainingInterrupted,
                     find_resumable_checkpoint, restart_reason)
from .worker_init import PREEMPTION_SIGNALS, signal_safe_worker_init

__all__ = [
    'ResumableEpochBasedTrainLoop', 'EXIT_INTERRUPTED', 'INTERRUPTED_MARKER',
    'TrainingInterrupted', 'find_resumable_checkpoint', 'restart_reason',
    'signal_safe_worker_init', 'PREEMPTION_SIGNALS'
]
