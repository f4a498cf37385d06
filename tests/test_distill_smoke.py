"""A real MMRazor SingleTeacherDistill with tiny mmdet models and dist_mm
losses, built through the registry, takes a training step on CPU."""
import copy

import torch

import dist_mm  # noqa: F401
from dist_mm.testing import det_batch, tiny_faster_rcnn
from mmengine.optim import OptimWrapper
from mmrazor.registry import MODELS


def distill_cfg():
    fpn = dict(fpn0=dict(type='ModuleOutputs', source='neck.fpn_convs.0.conv'))
    return dict(
        type='SingleTeacherDistill',
        architecture=tiny_faster_rcnn(width=8),
        teacher=tiny_faster_rcnn(width=16),
        distiller=dict(
            type='ConfigurableDistiller',
            student_recorders=copy.deepcopy(fpn),
            teacher_recorders=copy.deepcopy(fpn),
            distill_losses=dict(loss_fpn0=dict(type='DISTFeatureLoss')),
            loss_forward_mappings=dict(
                loss_fpn0=dict(
                    preds_S=dict(from_student=True, recorder='fpn0'),
                    preds_T=dict(from_student=False, recorder='fpn0')))))


def test_single_teacher_distill_train_step():
    torch.manual_seed(0)
    model = MODELS.build(distill_cfg())
    assert type(model).__name__ == 'SingleTeacherDistill'
    params = [p for p in model.parameters() if p.requires_grad]
    assert all(not p.requires_grad for p in model.teacher.parameters())
    optim = OptimWrapper(torch.optim.SGD(params, lr=0.01))
    student_before = copy.deepcopy(model.student.state_dict())
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    model.train()
    log_vars = model.train_step(det_batch(), optim)
    assert 'distill.loss_fpn0' in log_vars
    assert 'student.loss_cls' in log_vars
    for key, value in log_vars.items():
        assert torch.isfinite(torch.as_tensor(value)), key
    assert 0 < float(log_vars['distill.loss_fpn0']) < 4  # two 1 - rho
    changed = [
        k for k, v in model.student.state_dict().items()
        if v.dtype.is_floating_point and not torch.equal(v, student_before[k])
    ]
    assert any('neck' in k for k in changed)
    assert any('backbone.conv1.weight' == k for k in changed)
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key
