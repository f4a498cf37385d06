"""Where an interrupted or restarted training run resumes from."""
import glob
import logging
import os.path as osp
import re
from typing import Optional

from mmengine.logging import print_log

from ...compat.checkpoint import CorruptCheckpointError, is_unreadable_file
from ...compat.elastic_restart import restart_count

#: Exit status of a run stopped by a signal after saving a checkpoint
#: (``EX_TEMPFAIL``: a temporary failure, to be retried). The launchers
#: requeue or restart on it; any other non-zero status is a failure.
EXIT_INTERRUPTED = 75

#: File in the work dir that records an interruption; the next run in that
#: work dir resumes automatically, and a run that completes removes it.
INTERRUPTED_MARKER = 'interrupted.json'

_CHECKPOINT = re.compile(r'(iter|epoch)_\d+\.pth$')


class TrainingInterrupted(SystemExit):
    """Training stopped at a signal after saving a checkpoint; the process
    exits with :data:`EXIT_INTERRUPTED`."""

    def __init__(self) -> None:
        super().__init__(EXIT_INTERRUPTED)


def restart_reason(work_dir: str) -> Optional[str]:
    """Why this run should resume without being told to, or None.

    A run resumes automatically when Slurm requeued its job
    (``SLURM_RESTART_COUNT``), when torchrun restarted its workers
    (``TORCHELASTIC_RESTART_COUNT``), or when the previous run in
    ``work_dir`` was interrupted (:data:`INTERRUPTED_MARKER`), e.g. because
    the user resubmitted it.
    """
    for var, what in (('SLURM_RESTART_COUNT', 'Slurm requeued the job'),
                      ('TORCHELASTIC_RESTART_COUNT',
                       'torchrun restarted the workers')):
        count = restart_count(var)
        if count > 0:
            return f'{what} ({var}={count})'
    if osp.isfile(osp.join(work_dir, INTERRUPTED_MARKER)):
        return (f'the previous run in {work_dir} was interrupted '
                f'({INTERRUPTED_MARKER})')
    return None


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest intact training checkpoint in ``work_dir``, or None.

    Candidates are the files the Runner's checkpoint hooks write
    (``iter_N.pth``, ``epoch_N.pth``), newest first by modification time;
    ``best_*`` checkpoints are not resume points. A candidate that is not
    an intact checkpoint archive (truncated, half-copied, emptied) is
    skipped with a warning and the next newest is taken.

    Raises:
        CorruptCheckpointError: when checkpoints exist but none is intact;
            they are left as they are.
    """
    candidates = [
        path for path in glob.glob(osp.join(work_dir, '*.pth'))
        if _CHECKPOINT.fullmatch(osp.basename(path))
    ]
    candidates.sort(key=osp.getmtime, reverse=True)
    for i, path in enumerate(candidates):
        if not is_unreadable_file(path):
            return path
        if i + 1 < len(candidates):
            following = f'trying {candidates[i + 1]} instead'
        else:
            following = 'no older checkpoint is left'
        print_log(
            f'Checkpoint {path} is truncated or corrupt (not an intact '
            f'checkpoint archive); skipping it, {following}.',
            logger='current',
            level=logging.WARNING)
    if candidates:
        raise CorruptCheckpointError(
            candidates[-1],
            ValueError(f'none of the {len(candidates)} checkpoints in '
                       f'{work_dir} is intact'))
    return None
