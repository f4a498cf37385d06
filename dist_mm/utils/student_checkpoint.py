"""A distillation checkpoint turned into a plain student checkpoint.

The result loads with strict key matching into the student model of the
distillation config (an ordinary mmdet / mmseg model), e.g. for
``tools/test.py`` with the student's own config or for deployment. Teacher
weights, connectors, optimizer and scheduler states are dropped; the meta
(epoch, iteration, dataset meta) is kept.
"""
import io
from typing import Dict

import torch

from mmengine.runner.checkpoint import CheckpointLoader

from ..engine.atomic_save import atomic_write_bytes

PREFIX = 'architecture.'


def convert_to_student(checkpoint: Dict) -> Dict:
    """Student weights of a ``SingleTeacherDistill``-style checkpoint."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    student = {
        k[len(PREFIX):]: v
        for k, v in state_dict.items() if k.startswith(PREFIX)
    }
    if not student:
        raise ValueError(
            f'no "{PREFIX}*" weights in the checkpoint (keys look like '
            f'{list(state_dict)[:3]}): is it a distillation checkpoint?')
    meta = dict(checkpoint.get('meta', {}))
    meta.pop('message_hub', None)
    meta['converted_from'] = 'dist_mm distillation checkpoint'
    return dict(state_dict=student, meta=meta)


def save_student(src: str, dst: str) -> int:
    """Write the student of the distillation checkpoint ``src`` to ``dst``
    (atomically) and return its tensor count."""
    student = convert_to_student(
        CheckpointLoader.load_checkpoint(src, map_location='cpu'))
    with io.BytesIO() as buffer:
        torch.save(student, buffer)
        atomic_write_bytes(buffer.getvalue(), dst)
    return len(student['state_dict'])
