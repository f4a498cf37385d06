"""Atomic checkpoint writes, as an mmengine file backend.

Upstream cause: mmengine's ``LocalBackend.put`` (used by ``save_checkpoint``
for every local checkpoint) opens the target with ``'wb'`` and writes into
it. A process killed or out of disk space while saving leaves a truncated
``iter_N.pth`` under the final name, replacing the previous good file when
names repeat (``latest.pth``, ``best_*.pth``), and ``--resume`` then fails.

:class:`AtomicLocalBackend` is registered with mmengine's
``register_backend`` as ``'local_atomic'``; ``tools/train.py`` gives it to
the checkpoint hook (``default_hooks.checkpoint.backend_args``), so only
checkpoints go through it and every other write is mmengine's own. It
writes to a temporary file in the same directory, flushes it to disk and
renames it over the target (``os.replace`` is atomic on POSIX and Windows):
the target is either the old file or the complete new one, never a partial
one. A new file gets the mode ``open(path, 'wb')`` would give it (the umask
applies), an existing one keeps its mode, and a symlink is written through
(its target is replaced, the link stays). Hard links to the old file keep
the old content: that is what makes the replacement atomic.
"""
import contextlib
import os
import os.path as osp
import stat
import uuid
from pathlib import Path
from typing import BinaryIO, Union

from mmengine.fileio import LocalBackend, register_backend

#: ``backend_args`` of a checkpoint hook that saves atomically
ATOMIC_BACKEND_ARGS = dict(backend='local_atomic')


def _write_all(f: BinaryIO, data: bytes) -> None:
    f.write(data)


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that it appears complete or not at
    all (parent directories are created)."""
    filepath = osp.realpath(os.fspath(filepath))  # through symlinks
    directory = osp.dirname(filepath)
    os.makedirs(directory, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(filepath).st_mode)
    except FileNotFoundError:
        mode = None  # new: 0o666 minus the umask, applied by open()
    tmp = osp.join(directory, f'.{osp.basename(filepath)}.'
                   f'{uuid.uuid4().hex[:8]}.tmp')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, 'wb') as f:
            _write_all(f, data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


@register_backend('local_atomic')
class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` whose ``put`` (checkpoints) is atomic."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)
