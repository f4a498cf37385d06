"""Turn a distillation checkpoint into a plain student checkpoint.

The result loads with strict key matching into the student model of the
distillation config (an ordinary mmdet / mmseg model), e.g. for
``tools/test.py`` with the student's own config or for deployment::

    python tools/model_converters/convert_to_student.py \\
        work_dirs/distplus_xxx/iter_80000.pth student.pth
    mim run dist_mm convert_to_student work_dirs/.../iter_80000.pth student.pth

Teacher weights, connectors, optimizer and scheduler states are dropped;
the meta (epoch, iteration, dataset meta) is kept.
"""
import argparse
import io
from typing import Dict

import torch

import dist_mm  # noqa: F401  (safe checkpoint loading on torch 2.x)
from dist_mm.compat import atomic_write_bytes
from mmengine.runner.checkpoint import CheckpointLoader

PREFIX = 'architecture.'


def convert(checkpoint: Dict) -> Dict:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='distillation checkpoint')
    parser.add_argument('dst', help='output student checkpoint')
    args = parser.parse_args()
    checkpoint = CheckpointLoader.load_checkpoint(args.src, map_location='cpu')
    student = convert(checkpoint)
    with io.BytesIO() as buffer:
        torch.save(student, buffer)
        atomic_write_bytes(buffer.getvalue(), args.dst)
    print(f'saved {len(student["state_dict"])} student tensors to '
          f'{args.dst}')


if __name__ == '__main__':
    main()
