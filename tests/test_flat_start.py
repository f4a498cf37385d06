"""DIST from a flat start: a freshly initialised real mmseg student.

The gradient of ``1 - rho`` grows like ``1 / ||y_s - mean||``. A freshly
initialised segmentation head (``conv_seg`` drawn with std 0.01) gives
nearly uniform class probabilities at every pixel, so against a confident
teacher the exact DIST gradient is an order of magnitude larger than the
student's own cross-entropy gradient, and takes over the first steps of
training. ``DISTLogitLoss``'s default ``spread_floor`` bounds it to the size
of the task gradient there, and leaves a student that is as spread as the
teacher untouched.
"""
import torch
import torch.nn.functional as F

from dist_mm.losses import DISTLogitLoss
from dist_mm.testing import seg_batch, tiny_pspnet
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS


def fresh_student_logits():
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(tiny_pspnet(width=8))
    model.init_weights()
    data = model.data_preprocessor(seg_batch(4, size=(64, 128)), True)
    logits = model(data['inputs'], data['data_samples'], mode='tensor')
    labels = torch.stack([s.gt_sem_seg.data for s in data['data_samples']])
    labels = F.interpolate(
        labels.float(), logits.shape[-2:], mode='nearest')[:, 0].long()
    return model.decode_head.conv_seg.weight, logits, labels


def grad_norm(loss, weight):
    return torch.autograd.grad(loss, weight, retain_graph=True)[0].norm()


def test_flat_start_dist_gradient_is_bounded_by_the_task_gradient():
    weight, logits, labels = fresh_student_logits()
    assert logits.std(1).median() < 0.05  # nearly flat class scores
    # a confident teacher that agrees with the labels
    teacher = 8.0 * F.one_hot(labels.clamp(max=18), 19).permute(0, 3, 1, 2)
    task = grad_norm(F.cross_entropy(logits, labels, ignore_index=255), weight)
    exact = grad_norm(DISTLogitLoss(spread_floor=0.0)(logits, teacher), weight)
    bounded = grad_norm(DISTLogitLoss()(logits, teacher), weight)
    assert exact > 5 * task  # the mechanism: DIST swamps the task loss
    assert bounded < 1.5 * task  # the default bounds it
    assert bounded > 0.2 * task  # and still distils


def test_spread_floor_leaves_a_spread_student_exact():
    weight, logits, labels = fresh_student_logits()
    teacher = 8.0 * F.one_hot(labels.clamp(max=18), 19).permute(0, 3, 1, 2)
    # a student as confident as the teacher, though it disagrees on half
    # of the pixels
    student = logits * 100 + 4.0 * torch.randn_like(logits)
    exact = torch.autograd.grad(
        DISTLogitLoss(spread_floor=0.0)(student, teacher),
        weight,
        retain_graph=True)[0]
    default = torch.autograd.grad(DISTLogitLoss()(student, teacher), weight)[0]
    torch.testing.assert_close(default, exact)


def test_flat_teacher_slices_are_left_out_of_the_relation():
    """RetinaNet's coarsest FPN level is 1x1 on small images: the intra-class
    term then correlates, per anchor-class channel, the batch's 8 values, and
    the teacher's were equal to std/mean 1e-6..4e-4 (measured on the demo,
    where this drove training to NaN). Such a slice holds no relation: it is
    left out, while the channel vectors' (inter-class) term is unchanged."""
    gen = torch.Generator().manual_seed(0)
    per_channel = torch.linspace(-4.1, -3.6, 27).view(1, 27, 1, 1)
    teacher = per_channel + 3e-4 * torch.randn(8, 27, 1, 1, generator=gen)
    student = (
        -4.6 +
        5e-2 * torch.randn(8, 27, 1, 1, generator=gen)).requires_grad_(True)

    def intra(loss):
        value = loss.relations(student, teacher)['intra']
        return value, torch.autograd.grad(value, student)[0]

    exact, exact_grad = intra(
        DISTLogitLoss(activation='sigmoid', teacher_flat_rtol=0.0))
    value, grad = intra(DISTLogitLoss(activation='sigmoid'))
    assert exact_grad.norm() > 0.5  # chases the teacher's noise
    assert value.item() == 1.0  # 1 - rho with rho = 0 on every channel
    assert not grad.any()
    assert exact.item() != 1.0

    def inter(loss):
        value = loss.relations(student, teacher)['inter']
        return value, torch.autograd.grad(value, student)[0]

    for default, exact in zip(
            inter(DISTLogitLoss(activation='sigmoid')),
            inter(DISTLogitLoss(activation='sigmoid', teacher_flat_rtol=0.0))):
        torch.testing.assert_close(default, exact)
