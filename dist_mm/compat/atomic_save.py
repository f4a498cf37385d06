"""Atomic checkpoint writes.

Upstream cause: mmengine's ``LocalBackend.put`` (used by ``save_checkpoint``
for every local checkpoint) opens the target with ``'wb'`` and writes into
it. A process killed or out of disk space while saving leaves a truncated
``iter_N.pth`` under the final name, replacing the previous good file when
names repeat (``latest.pth``, ``best_*.pth``), and ``--resume`` then fails.

The replacement writes to a temporary file in the same directory, flushes
it to disk and renames it over the target (``os.replace`` is atomic on
POSIX and Windows): the target is either the old file or the complete new
one, never a partial one.
"""
import contextlib
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import BinaryIO, Union


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()  # what open(path, 'wb') would give


def _write_all(f: BinaryIO, data: bytes) -> None:
    f.write(data)


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that it appears complete or not at
    all (parent directories are created)."""
    filepath = os.fspath(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(filepath)}.',
                               suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            _write_all(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def _put(self, obj: bytes, filepath: Union[str, Path]) -> None:
    """Drop-in replacement for ``LocalBackend.put``."""
    atomic_write_bytes(obj, filepath)


def write_checkpoints_atomically() -> None:
    """Route mmengine's local file writes through :func:`atomic_write_bytes`.

    The upstream method stays reachable as ``LocalBackend._upstream_put``.
    """
    from mmengine.fileio.backends import LocalBackend
    if LocalBackend.put is _put:
        return
    LocalBackend._upstream_put = LocalBackend.put
    LocalBackend.put = _put
