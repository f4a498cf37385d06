"""Strict loading of the teacher's checkpoint."""
import itertools
import logging
from typing import Dict, List, Optional

import torch
from torch import nn

from mmengine.logging import print_log
from mmengine.runner import load_checkpoint

from ..compat import CorruptCheckpointError


def non_finite_tensors(model: nn.Module) -> List[str]:
    """The names of ``model``'s floating parameters and buffers that hold
    NaN or inf."""
    named = itertools.chain(model.named_parameters(), model.named_buffers())
    return [
        name for name, tensor in named
        if tensor.is_floating_point() and not torch.isfinite(tensor).all()
    ]


def load_teacher_checkpoint(teacher: nn.Module, filename: str) -> Dict:
    """Load the teacher strictly: refuse any missing, unexpected or
    mis-shaped key instead of distilling from a partly random teacher, and
    weights that hold NaN or inf (every target would be NaN)."""
    checkpoint = _load_strictly(teacher, filename)
    bad = non_finite_tensors(teacher)
    if bad:
        shown = ', '.join(
            bad[:5]) + (f' and {len(bad) - 5} more' if len(bad) > 5 else '')
        raise ValueError(
            f'teacher checkpoint {filename!r} holds NaN or inf in {shown}: '
            'a diverged or damaged checkpoint, from which every target '
            'would be NaN; refusing to distill from it. Use a checkpoint '
            'of the teacher saved before it diverged.')
    return checkpoint


def _load_strictly(teacher: nn.Module, filename: str) -> Dict:
    try:
        return load_checkpoint(
            teacher,
            filename,
            map_location='cpu',
            strict=True,
            revise_keys=[(r'^module\.', '')])
    except CorruptCheckpointError:
        raise
    except RuntimeError as err:
        lines = [line for line in str(err).splitlines() if line.strip()]
        if len(lines) > 12:
            lines = lines[:12] + [f'... and {len(lines) - 12} more']
        details = '\n'.join(lines)
        raise RuntimeError(
            f'teacher checkpoint {filename!r} does not fit the teacher model '
            f'({type(teacher).__name__}); refusing to distill from a '
            'partly random teacher. Check that teacher config and checkpoint '
            f'are the same architecture and class count.\n{details}') from err


def load_teacher(teacher: nn.Module, filename: Optional[str]) -> None:
    """Load ``filename`` strictly (:func:`load_teacher_checkpoint`) and keep
    it through ``init_weights()``; without one, warn that the teacher keeps
    the weights its config initialises."""
    if filename:
        load_teacher_checkpoint(teacher, filename)
        teacher._is_init = True  # keep it through init_weights()
        return
    print_log(
        'DISTPlusDistill: no teacher_ckpt given, the teacher '
        'keeps the weights its own config initialises (random '
        'unless its init_cfg loads a checkpoint).',
        logger='current',
        level=logging.WARNING)
