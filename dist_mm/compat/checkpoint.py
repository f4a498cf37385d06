"""Load mmengine checkpoints under torch's ``weights_only=True`` default.

Upstream cause: since torch 2.6 ``torch.load`` only unpickles allow-listed
types. mmengine 0.10.x calls ``torch.load`` without arguments, and the
checkpoints its Runner writes keep numpy arrays and scalars and mmengine's
``HistoryBuffer`` in ``meta['message_hub']``, so ``--resume`` and
``load_from`` fail with "Weights only load failed".

Rather than turning ``weights_only`` off (checkpoints from URLs are untrusted
input), the specific safe types mmengine writes are allow-listed, and a
checkpoint that still holds anything else is refused with a message that
names the offending types and how to proceed. A local file that cannot be
read at all (empty, truncated, not a checkpoint archive) raises
:class:`CorruptCheckpointError` instead of torch's bare ``EOFError``,
``OSError`` or ``KeyError``; every other failure (an unknown
``open-mmlab://`` name, a URL while offline, ``map_location='cuda'`` without
a GPU, a missing storage client) keeps its own error and message.
"""
import collections
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, Callable, List

import numpy as np
import torch


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds objects that are not on the allow-list."""


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file that exists but cannot be read."""

    def __init__(self, filename: str, err: Exception) -> None:
        super().__init__(
            f'Cannot read checkpoint {filename!r} ({type(err).__name__}: '
            f'{err}): the file is truncated, corrupted or not a PyTorch '
            'checkpoint. Re-create or re-download it; when resuming, pass '
            '--resume PATH to resume from an intact earlier checkpoint.')


def _numpy_globals() -> List[Callable]:
    """Numpy types pickled by ``np.ndarray`` / numpy scalars in meta."""
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # numpy 1.x
        from numpy.core import multiarray
    types_: List = [
        multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype
    ]
    # One dtype class per builtin dtype (numpy >= 1.25 pickles these).
    types_ += sorted(
        {type(np.dtype(c))
         for c in np.typecodes['All'] if c not in 'OMm'},
        key=str)
    return types_


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to the public methods of ``HistoryBuffer``.

    ``HistoryBuffer.__getstate__`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``; no other use of ``getattr`` is
    accepted from a checkpoint.
    """
    from mmengine.logging import HistoryBuffer
    if isinstance(obj, type) and issubclass(obj, HistoryBuffer) and \
            isinstance(name, str) and not name.startswith('_'):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'GLOBAL builtins.getattr on {obj!r}.{name!r} is not allowed')


def _mmengine_globals() -> List[Any]:
    from mmengine.logging import HistoryBuffer
    return [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        collections.Counter,  # MultiStepLR's milestones
    ]


def safe_globals() -> List[Any]:
    """All types dist_mm allow-lists for ``torch.load(weights_only=True)``."""
    return _numpy_globals() + _mmengine_globals()


def allow_mmengine_checkpoints() -> None:
    """Allow-list the safe types mmengine's Runner writes into checkpoints."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(safe_globals())


def _unsafe_globals(filename: str, err: Exception) -> List[str]:
    names = re.findall(r'GLOBAL ([\w.]+)', str(err))
    if not names and hasattr(torch.serialization,
                             'get_unsafe_globals_in_checkpoint'):
        try:
            names = torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)
        except Exception:  # the file may be remote or not a zip archive
            names = []
    return sorted(set(names))


def is_unreadable_file(filename: Any) -> bool:
    """Whether ``filename`` is a local file that is not an intact
    checkpoint archive (empty, truncated, another format, a bad member)."""
    if not isinstance(filename, str) or not osp.isfile(filename):
        return False
    try:
        with zipfile.ZipFile(filename) as archive:
            return archive.testzip() is not None
    except (zipfile.BadZipFile, OSError):
        return True


def explain_refused_checkpoints() -> None:
    """Make mmengine's checkpoint loader refuse unsafe files clearly."""
    from mmengine.runner.checkpoint import CheckpointLoader
    original = CheckpointLoader.load_checkpoint.__func__
    if getattr(original, '_dist_mm_wrapped', False):
        return

    def load_checkpoint(cls, filename, map_location=None, logger='current'):
        try:
            return original(cls, filename, map_location, logger)
        except (UnsafeCheckpointError, CorruptCheckpointError,
                FileNotFoundError):
            raise
        except pickle.UnpicklingError as err:
            names = _unsafe_globals(filename, err)
            if not names and 'Weights only load failed' not in str(err):
                raise CorruptCheckpointError(filename, err) from err
            raise UnsafeCheckpointError(
                f'Refusing to load checkpoint {filename!r}: it contains '
                f'objects of types that are not known to be safe: '
                f'{", ".join(names or ["<unknown>"])}. dist_mm loads '
                'checkpoints with torch.load(weights_only=True) and '
                'allow-lists only the tensors, numpy arrays and mmengine '
                'types that mmengine writes. If you trust this file, '
                'allow-list those types before training, e.g. '
                'torch.serialization.add_safe_globals([...]), or re-save it '
                'with only a state_dict.') from err
        except Exception as err:
            if is_unreadable_file(filename):  # truncated, empty, not one
                raise CorruptCheckpointError(filename, err) from err
            raise  # its own error: offline, unknown name, no GPU...

    load_checkpoint._dist_mm_wrapped = True
    CheckpointLoader.load_checkpoint = classmethod(load_checkpoint)
