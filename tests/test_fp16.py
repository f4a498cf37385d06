"""float16 autocast with a real ``GradScaler``: which steps DIST skips.

The Pearson gradients grow like ``1 / std``, and RetinaNet's classifier is
prior-initialised (every logit -4.6), so its outputs are nearly constant at
the start: the case where a distillation loss overflows fp16 gradients and
``GradScaler`` skips steps. The tiny real RetinaNet DIST+ pair trains from
its own initialisation under ``torch.autocast('cpu', float16)`` with
``torch.amp.GradScaler('cpu')``; a skipped step is one after which the
scale went down.

Measured (docs/en/user_guides/train_test.md, "Mixed precision"): with the
default initial scale 2^16, DIST's first gradients overflow fp16 and the
scaler skips the first steps while it calibrates (7 of 40 here, steps 0-7,
scale -> 512; without DIST none at the start), then none; with
``init_scale=2**8`` no step is skipped.
Faster R-CNN cannot run fp16 on CPU: mmcv's CPU ``nms`` has no half
kernel (``expected scalar type Float but found Half``).
"""
import torch

from dist_mm.engine import AMP_INIT_SCALE
from mmrazor.registry import MODELS

from . import distill_cfgs

STEPS = 20
CALIBRATION = 8  # steps GradScaler may take to find its scale


def fp16_skipped_steps(init_scale,
                       pair=distill_cfgs.retinanet,
                       distill=True,
                       device='cpu',
                       steps=STEPS):
    """Steps ``GradScaler`` skips when the tiny ``pair`` trains under fp16
    autocast on ``device``: the DIST+ model, or its student alone
    (``distill=False``). Also run on a GPU for the docs' figures."""
    torch.manual_seed(0)
    model = MODELS.build(pair(acclimate=True)).to(device)
    model.student.init_weights()
    model.teacher.init_weights()
    net = model if distill else model.student
    net.train()
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    kind = torch.device(device).type
    scaler = torch.amp.GradScaler(kind, init_scale=init_scale)
    batch = distill_cfgs.det_batch()
    skipped = []
    for step in range(steps):
        with torch.autocast(kind, dtype=torch.float16):
            data = net.data_preprocessor(batch, True)
            losses = net(**data, mode='loss')
        loss, _ = model.parse_losses(losses)  # raises if not finite
        assert any(k.startswith('distill.') for k in losses) == distill
        optimizer.zero_grad()
        scale = scaler.get_scale()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if scaler.get_scale() < scale:
            skipped.append(step)
    return skipped


def test_fp16_dist_skips_only_while_the_scaler_calibrates():
    skipped = fp16_skipped_steps(init_scale=2.0**16)
    print('fp16, init scale 2^16, skipped steps with DIST:', skipped)
    assert all(step < CALIBRATION for step in skipped)


def test_fp16_dist_skips_no_step_from_the_amp_initial_scale():
    """``tools/train.py --amp`` starts the GPU loss scale at
    ``AMP_INIT_SCALE``: there DIST skips no step."""
    assert fp16_skipped_steps(init_scale=AMP_INIT_SCALE) == []


def test_fp16_student_alone_skips_no_step():
    """The comparison: without the DIST losses nothing overflows."""
    assert fp16_skipped_steps(init_scale=2.0**16, distill=False) == []
