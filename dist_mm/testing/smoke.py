"""Smoke run: a few DIST+ distillation steps with tiny real mmdet models.

Builds dist_mm's ``DISTPlusDistill`` through MMRazor's registry with a tiny
Faster R-CNN teacher and student, ``DISTLogitLoss`` on the RoI logits (the
teacher scores the student's RoIs) and ``DISTFeatureLoss`` on the FPN
outputs, trains a few iterations on random images on CPU and prints the
losses. It checks the whole installed stack (mmcv ops, mmdet, mmrazor,
dist_mm) in under a minute; ``tools/misc/smoke_distill.py`` runs it.
"""
import copy
import time

import torch

from mmengine.optim import OptimWrapper
from mmrazor.registry import MODELS

from ._det import det_batch, tiny_faster_rcnn


def smoke_model() -> torch.nn.Module:
    """``DISTPlusDistill`` with tiny Faster R-CNNs (width 16 -> 8): RoI
    logits and the four FPN levels."""
    levels = range(4)
    recorders = {
        f'fpn{i}':
        dict(type='ModuleOutputs', source=f'neck.fpn_convs.{i}.conv')
        for i in levels
    }
    recorders['cls'] = dict(
        type='ModuleOutputs', source='roi_head.bbox_head.fc_cls')
    losses = {f'loss_fpn{i}': dict(type='DISTFeatureLoss') for i in levels}
    losses['loss_cls'] = dict(type='DISTLogitLoss')
    return MODELS.build(
        dict(
            type='DISTPlusDistill',
            architecture=tiny_faster_rcnn(width=8),
            teacher=tiny_faster_rcnn(width=16),
            distiller=dict(
                type='ConfigurableDistiller',
                student_recorders=recorders,
                teacher_recorders=copy.deepcopy(recorders),
                distill_losses=losses,
                loss_forward_mappings={
                    name:
                    dict(
                        preds_S=dict(from_student=True, recorder=name[5:]),
                        preds_T=dict(from_student=False, recorder=name[5:]))
                    for name in losses
                })))


def smoke_run(iters: int = 5) -> None:
    """Train :func:`smoke_model` ``iters`` iterations on random images,
    printing the losses.

    Raises:
        FloatingPointError: when a loss is not finite.
    """
    from .. import __version__
    torch.manual_seed(0)
    print(f'dist_mm {__version__}, torch {torch.__version__}')
    model = smoke_model()
    print(
        f'{type(model).__name__}, teacher pass '
        f'{type(model.teacher_pass).__name__}',
        flush=True)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optim = OptimWrapper(torch.optim.SGD(params, lr=0.01, momentum=0.9))
    batch = det_batch()
    for it in range(1, iters + 1):
        start = time.perf_counter()
        log_vars = model.train_step(batch, optim)
        values = {
            k: float(torch.as_tensor(v).detach())
            for k, v in log_vars.items()
        }
        distill = sum(v for k, v in values.items() if k.startswith('distill.'))
        print(
            f'iter {it}/{iters}: loss {values["loss"]:.4f} '
            f'distill {distill:.4f} '
            f'({time.perf_counter() - start:.2f} s)',
            flush=True)
        if not torch.isfinite(torch.tensor(values['loss'])):
            raise FloatingPointError(f'non-finite loss at iteration {it}')
    print('smoke run OK')
