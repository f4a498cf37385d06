"""DIST / DIST+ losses against independent references, hand values, grads."""
import math

import pytest
import torch

import dist_mm  # noqa: F401  (registers the losses)
from dist_mm.losses import (DISTFeatureLoss, DISTLogitLoss, RelationLoss,
                            TeacherAcclimationLoss, pearson_distance,
                            valid_mask_from_labels)
from mmrazor.registry import MODELS

from . import reference as ref


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


LOGIT_SHAPES = [(2, 19, 8, 16), (1, 5, 3, 7), (3, 4, 1, 1), (37, 81), (5, 3)]


@pytest.mark.parametrize('shape', LOGIT_SHAPES)
@pytest.mark.parametrize('tau,beta,gamma', [(1.0, 1.0, 1.0), (4.0, 2.0, 0.5)])
def test_logit_loss_matches_reference(shape, tau, beta, gamma):
    ls, lt = torch.randn(shape) * 3, torch.randn(shape) * 3
    loss = DISTLogitLoss(beta, gamma, tau, loss_weight=0.7)
    expected = 0.7 * ref.dist_loss(ls, lt, tau, beta, gamma)
    torch.testing.assert_close(loss(ls, lt), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('shape', [(2, 720, 5, 7), (1, 9, 4, 4)])
def test_sigmoid_faithful_matches_reference(shape):
    ls, lt = torch.randn(shape), torch.randn(shape)
    loss = DISTLogitLoss(activation='sigmoid')
    torch.testing.assert_close(
        loss(ls, lt), ref.dist_loss(ls, lt, act='sigmoid'))


def test_sigmoid_anchor_aware_matches_mmdet_flattening():
    n, a, k, h, w = 2, 9, 80, 3, 5
    ls, lt = torch.randn(n, a * k, h, w), torch.randn(n, a * k, h, w)
    loss = DISTLogitLoss(activation='sigmoid', anchor_classes=k)
    expected = ref.dist_loss(ls, lt, act='sigmoid', num_classes=k)
    torch.testing.assert_close(loss(ls, lt), expected)
    # and it is a different quantity from the faithful A*K-channel mode
    faithful = DISTLogitLoss(activation='sigmoid')(ls, lt)
    assert not torch.allclose(faithful, expected, atol=1e-3)


def test_masked_segmentation_matches_reference_on_valid_pixels():
    ls, lt = torch.randn(2, 19, 8, 16), torch.randn(2, 19, 8, 16)
    labels = torch.randint(0, 19, (2, 64, 128))
    labels[:, :20] = 255
    valid = valid_mask_from_labels(labels, ls.shape[-2:])
    assert valid.shape == (2, 1, 8, 16) and 0 < valid.sum() < valid.numel()
    expected = ref.dist_loss(ls, lt, valid=valid[:, 0])
    got = DISTLogitLoss()(ls, lt, valid_mask=valid)
    torch.testing.assert_close(got, expected)
    # changing the logits of ignored pixels does not change the loss
    ls2 = ls.clone()
    ls2[~valid.expand_as(ls)] = 100.0
    torch.testing.assert_close(DISTLogitLoss()(ls2, lt, valid[:, 0]), got)


def test_masked_anchor_aware_matches_reference():
    n, a, k, h, w = 2, 3, 4, 3, 5
    ls, lt = torch.randn(n, a * k, h, w), torch.randn(n, a * k, h, w)
    valid = torch.rand(n, h, w) > 0.3
    loss = DISTLogitLoss(activation='sigmoid', anchor_classes=k)
    expected = ref.dist_loss(ls, lt, act='sigmoid', num_classes=k, valid=valid)
    torch.testing.assert_close(loss(ls, lt, valid), expected)


def test_logit_loss_hand_computed_two_class_rois():
    # softmax over 2 classes: every centred row/column is +-(a, -a), so each
    # correlation is exactly +-1.
    ls = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    assert DISTLogitLoss()(ls, torch.tensor([[1.0, 0.0], [0.0, 1.0]])) \
        .item() == pytest.approx(0.0, abs=1e-6)
    # teacher ranks both the classes and the RoIs the other way round:
    # inter = 1 - (-1) = 2 and intra = 2, so beta*2 + gamma*2
    lt = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert DISTLogitLoss(1.0, 0.5)(ls, lt).item() == pytest.approx(3.0)


def test_intra_class_is_not_over_the_batch_axis():
    """The classification-style port correlates each (class, pixel) over
    the N images only: with N=2 every such 'correlation' is +-1. Swap the
    two images between student and teacher: that port then reports total
    disagreement (2), while the real intra-class relation over all pixels
    sees two unrelated images (about 1)."""
    lt = torch.randn(2, 19, 8, 16)
    ls = lt.flip(0)
    ys, yt = ls.softmax(1), lt.softmax(1)
    # rows = (class, y, x), each a length-2 vector over the batch axis
    wrong_intra = (1 - ref.pearson_rows(
        ys.permute(1, 2, 3, 0).reshape(-1, 2),
        yt.permute(1, 2, 3, 0).reshape(-1, 2))).mean()
    assert wrong_intra.item() == pytest.approx(2.0, abs=0.01)
    intra = DISTLogitLoss().relations(ls, lt)['intra']
    ms, mt = ref.to_instances(ls).softmax(1), ref.to_instances(lt).softmax(1)
    torch.testing.assert_close(intra,
                               (1 - ref.pearson_rows(ms.t(), mt.t())).mean())
    assert abs(intra.item() - 1.0) < 0.2


@pytest.mark.parametrize('shape', [(2, 256, 10, 12), (1, 3, 4, 5),
                                   (3, 16, 1, 7)])
def test_feature_loss_matches_reference(shape):
    fs, ft = torch.randn(shape), torch.randn(shape) + 1
    got = DISTFeatureLoss(0.5, 2.0)(fs, ft)
    torch.testing.assert_close(got, ref.feature_loss(fs, ft, 0.5, 2.0))


def test_feature_loss_hand_computed():
    # pixels (channels, D=3): (1,2,3)~(2,4,6) rho=1; (1,2,3)~(3,2,1) rho=-1;
    # (0,0,3)~(0,3,0): centred (-1,-1,2).(-1,2,-1) = -3 over 6 -> rho=-0.5
    fs = torch.tensor([[1., 1., 0.], [2., 2., 0.], [3., 3., 3.]])
    ft = torch.tensor([[2., 3., 0.], [4., 2., 3.], [6., 1., 0.]])
    fs, ft = fs[None, :, None], ft[None, :, None]
    terms = DISTFeatureLoss().relations(fs, ft)
    assert terms['channel'].item() == pytest.approx((0 + 2 + 1.5) / 3)
    # channel sums (6, 6, 3) vs (12, 6, 3): rho = 12 / sqrt(6 * 42)
    assert terms['spatial'].item() == pytest.approx(1 - 2 / math.sqrt(7))


def test_channel_term_is_one_minus_rho_and_spatial_is_per_image():
    fs, ft = torch.randn(2, 8, 5, 6), torch.randn(2, 8, 5, 6)
    loss = DISTFeatureLoss()
    # identical maps: 1 - rho = 0 (a port returning rho would give 1)
    same = loss.relations(fs, fs.clone())
    assert same['channel'].item() == pytest.approx(0.0, abs=1e-6)
    assert same['spatial'].item() == pytest.approx(0.0, abs=1e-6)
    # spatial relation of a batch is the mean of the per-image relations
    whole = loss.relations(fs, ft)['spatial']
    per_image = torch.stack([
        loss.relations(fs[i:i + 1], ft[i:i + 1])['spatial'] for i in range(2)
    ]).mean()
    torch.testing.assert_close(whole, per_image)
    # a cross-batch correlation would mix images: make image 1 match exactly
    ft2 = ft.clone()
    ft2[1] = fs[1]
    per = [
        loss.relations(fs[i:i + 1], ft2[i:i + 1])['spatial'] for i in range(2)
    ]
    assert per[1].item() == pytest.approx(0.0, abs=1e-6)
    torch.testing.assert_close(
        loss.relations(fs, ft2)['spatial'], (per[0] + per[1]) / 2)


@pytest.mark.parametrize('shape', [(2, 7, 4, 5), (30, 11)])
def test_acclimation_loss_matches_loop_reference(shape):
    lt, ls = torch.randn(shape) * 2, torch.randn(shape) * 2
    tshape = (shape[0], ) + shape[2:]
    target = torch.randint(0, shape[1], tshape)
    target.view(-1)[::3] = 255
    got = TeacherAcclimationLoss(target_weight=0.0)(lt, ls, target)
    torch.testing.assert_close(got, ref.acclimation_loss(lt, ls, target))
    loss = TeacherAcclimationLoss(target_weight=0.3)
    task, accuracy = ref.acclimation_target_loss(lt, target)
    torch.testing.assert_close(loss(lt, ls, target), got + 0.3 * task.float())
    torch.testing.assert_close(loss.last_terms['target'], task.float())
    assert loss.last_teacher_accuracy.item() == pytest.approx(accuracy)


def test_anchor_acclimation_matches_loop_reference():
    n, a, k, h, w = 2, 3, 4, 3, 5
    lt, ls = torch.randn(n, a * k, h, w), torch.randn(n, a * k, h, w)
    target = torch.randint(0, k + 1, (n, h * w * a))  # k = background
    target[0, :4] = k
    loss = TeacherAcclimationLoss(
        activation='sigmoid', anchor_classes=k, target_weight=0.5)
    expected = ref.acclimation_loss(
        lt, ls, target, act='sigmoid', num_classes=k)
    task, accuracy = ref.acclimation_target_loss(
        lt, target, act='sigmoid', num_classes=k)
    torch.testing.assert_close(loss(lt, ls, target), expected + 0.5 * task)
    assert loss.last_teacher_accuracy.item() == pytest.approx(accuracy)
    with pytest.raises(ValueError, match='anchor_classes=4 needs'):
        loss(lt, ls, target[:, :-1])


def test_anchor_acclimation_of_a_per_position_teacher():
    """A teacher of one score vector per position (a DETR encoder's)
    acclimated on a student's anchors: each anchor's instance is its
    position's scores against that anchor's label. Checked against the loop
    reference with the teacher repeated per anchor (anchor-major, mmdet's
    order), by hand (three anchors with one position's label give the loss
    of one anchor: the Pearson terms are averaged over instances and the
    focal sum is divided by the foreground instances, both tripled), and
    with gradcheck."""
    n, a, k, h, w = 2, 3, 4, 3, 5
    lt = torch.randn(n, k, h, w, dtype=torch.float64, requires_grad=True)
    ls = torch.randn(n, a * k, h, w, dtype=torch.float64)
    target = torch.randint(0, k + 1, (n, h * w * a))  # k = background
    target[0, :4] = k
    loss = TeacherAcclimationLoss(
        activation='sigmoid', anchor_classes=k, target_weight=0.5)
    repeated = lt.repeat(1, a, 1, 1)
    expected = ref.acclimation_loss(
        repeated, ls, target, act='sigmoid', num_classes=k)
    task, accuracy = ref.acclimation_target_loss(
        repeated, target, act='sigmoid', num_classes=k)
    torch.testing.assert_close(loss(lt, ls, target), expected + 0.5 * task)
    assert loss.last_teacher_accuracy.item() == pytest.approx(accuracy)
    # by hand: one label per position, on 3 anchors or on 1
    labels = torch.randint(0, k + 1, (n, h * w, 1))
    labels[0, 0] = 0  # a foreground instance
    one = TeacherAcclimationLoss(activation='sigmoid', anchor_classes=k)
    three = one(lt, ls[:, :k].repeat(1, a, 1, 1),
                labels.repeat(1, 1, a).flatten(1))
    torch.testing.assert_close(three, one(lt, ls[:, :k], labels.flatten(1)))
    assert torch.autograd.gradcheck(lambda t: loss(t, ls, target), (lt, ))


def test_anchor_acclimation_task_term_is_retinanets_focal_loss():
    """By hand, logits 0 (p = 0.5), two classes: an anchor of class 0 has
    focal terms 0.25 * 0.5^2 * ln 2 (its class) + 0.75 * 0.5^2 * ln 2 (the
    other), a background anchor 2 * 0.75 * 0.5^2 * ln 2; divided by the one
    foreground anchor: 0.625 ln 2. On the class-0 logit the gradient of
    -0.25 (1 - p)^2 ln p is -0.25 ((1 - p)^3 - 2 p (1 - p)^2 ln p) =
    -0.25 (0.125 + 0.25 ln 2)."""
    loss = TeacherAcclimationLoss(activation='sigmoid', anchor_classes=2)
    lt = torch.zeros(1, 2, 1, 2, requires_grad=True)  # A=1, K=2, 1x2
    target = torch.tensor([[0, 2]])  # anchor 0: class 0; anchor 1: bg
    task = loss.relations(lt, torch.randn(1, 2, 1, 2), target)['target']
    ln2 = math.log(2)
    assert task.item() == pytest.approx(0.625 * ln2)
    task.backward()
    assert lt.grad[0, 0, 0,
                   0].item() == pytest.approx(-0.25 * (0.125 + 0.25 * ln2))
    # plain BCE averaged over the anchors (the code before) gives other
    # values: (2 ln 2 + 2 ln 2) / 2 anchors
    assert task.item() != pytest.approx(2 * ln2)


def test_acclimation_loss_resizes_label_maps_nearest():
    lt, ls = torch.randn(2, 5, 4, 6), torch.randn(2, 5, 4, 6)
    small = torch.randint(0, 5, (2, 4, 6))
    small[0, 0] = 255
    big = small.repeat_interleave(4, 1).repeat_interleave(4, 2)
    loss = TeacherAcclimationLoss(target_weight=0.0)
    torch.testing.assert_close(loss(lt, ls, big[:, None]), loss(lt, ls, small))


def test_acclimation_task_term_upsamples_logits_to_the_label_map():
    """With a label map at a higher resolution, the task term is the
    decode head's own loss: CE of bilinearly upsampled logits."""
    lt, ls = torch.randn(2, 5, 4, 6), torch.randn(2, 5, 4, 6)
    big = torch.randint(0, 5, (2, 16, 24))
    big[0, :3] = 255
    loss = TeacherAcclimationLoss(target_weight=1.0)
    loss(lt, ls, big)
    up = torch.nn.functional.interpolate(
        lt, (16, 24), mode='bilinear', align_corners=False)
    task, accuracy = ref.acclimation_target_loss(up, big)
    torch.testing.assert_close(loss.last_terms['target'], task)
    assert loss.last_teacher_accuracy.item() == pytest.approx(accuracy)


def test_acclimation_target_term_hand_computed():
    """Two RoIs, three classes: CE of the targets, accuracy 1/2."""
    lt = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    target = torch.tensor([0, 2])
    loss = TeacherAcclimationLoss(target_weight=1.0)
    loss(lt, torch.zeros(2, 3), target)
    ce0 = -math.log(math.exp(2) / (math.exp(2) + 2))
    ce1 = -math.log(1 / (math.e + 2))
    assert loss.last_terms['target'].item() == pytest.approx(
        (ce0 + ce1) / 2, rel=1e-6)
    assert loss.last_teacher_accuracy.item() == 0.5


def test_acclimation_target_term_keeps_the_target_on_top():
    """L_ta alone never sees the target column: its gradient leaves the
    target logit's lead unchanged; the target term raises it."""
    lt = torch.randn(64, 7, requires_grad=True)
    ls, target = torch.randn(64, 7), torch.randint(0, 7, (64, ))

    def target_margin_grad(weight):
        lt.grad = None
        TeacherAcclimationLoss(target_weight=weight)(lt, ls, target) \
            .backward()
        return lt.grad.gather(1, target[:, None])

    assert target_margin_grad(0.0).abs().max() < 1e-6
    assert (target_margin_grad(1.0) < 0).all()  # descent raises the target


def test_acclimation_ignores_target_column():
    """Only the non-target classes are compared: changing the target-class
    logit of the student (keeping the others' softmax ratios) leaves the
    correlation unchanged."""
    lt, ls = torch.randn(6, 5), torch.randn(6, 5)
    target = torch.randint(0, 5, (6, ))
    ls2 = ls.clone()
    ls2[torch.arange(6), target] += 3.0
    loss = TeacherAcclimationLoss(target_weight=0.0)
    torch.testing.assert_close(loss(lt, ls, target), loss(lt, ls2, target))
    ls3 = ls.clone()
    ls3[torch.arange(6), (target + 1) % 5] += 3.0
    assert not torch.allclose(loss(lt, ls, target), loss(lt, ls3, target))


def test_gradient_flow_student_losses_never_reach_teacher():
    ls = torch.randn(2, 5, 4, 4, requires_grad=True)
    lt = torch.randn(2, 5, 4, 4, requires_grad=True)
    (DISTLogitLoss()(ls, lt) + DISTFeatureLoss()(ls, lt)).backward()
    assert ls.grad is not None and ls.grad.abs().sum() > 0
    assert lt.grad is None


def test_gradient_flow_acclimation_never_reaches_student():
    ls = torch.randn(2, 5, 4, 4, requires_grad=True)
    lt = torch.randn(2, 5, 4, 4, requires_grad=True)
    TeacherAcclimationLoss()(lt, ls, torch.randint(0, 5, (2, 4, 4))) \
        .backward()
    assert lt.grad is not None and lt.grad.abs().sum() > 0
    assert ls.grad is None


def test_gradcheck_pearson_distance_float64():
    a = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    w = (torch.rand(3, 1, 5) > 0.3).double()
    for dims, weight in [(1, None), ((0, 2), None), ((0, 2), w), (2, None)]:
        assert torch.autograd.gradcheck(
            lambda x, y: pearson_distance(x, y, dims, weight), (a, b))


def test_second_order_gradients_fail_loudly():
    """The hand-written backward is once-differentiable: a double backward
    (e.g. a gradient penalty) raises instead of returning wrong values."""
    a = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 4, dtype=torch.float64)
    grad, = torch.autograd.grad(
        pearson_distance(a, b, 1).sum(), a, create_graph=True)
    with pytest.raises(RuntimeError):  # without it: wrong values, silently
        grad.sum().backward()


def test_gradcheck_losses_float64():
    ls = torch.randn(2, 4, 3, 3, dtype=torch.float64, requires_grad=True)
    lt = torch.randn(2, 4, 3, 3, dtype=torch.float64)
    valid = torch.rand(2, 3, 3) > 0.3
    assert torch.autograd.gradcheck(
        lambda x: DISTLogitLoss(1.0, 0.7, 2.0)(x, lt, valid), (ls, ))
    assert torch.autograd.gradcheck(
        lambda x: DISTLogitLoss(activation='sigmoid', anchor_classes=2)(x, lt),
        (ls, ))
    assert torch.autograd.gradcheck(lambda x: DISTFeatureLoss(1.0, 0.3)(x, lt),
                                    (ls, ))
    target = torch.randint(0, 4, (2, 3, 3))
    assert torch.autograd.gradcheck(
        lambda x: TeacherAcclimationLoss()(x, lt.detach(), target),
        (lt.clone().requires_grad_(), ))


def test_gradients_match_reference_autograd():
    ls = torch.randn(2, 6, 5, 7, requires_grad=True)
    ls_ref = ls.detach().clone().requires_grad_()
    lt = torch.randn(2, 6, 5, 7)
    DISTLogitLoss()(ls, lt).backward()
    ref.dist_loss(ls_ref, lt).backward()
    torch.testing.assert_close(ls.grad, ls_ref.grad, atol=1e-6, rtol=1e-4)
    fs = torch.randn(2, 6, 5, 7, requires_grad=True)
    fs_ref = fs.detach().clone().requires_grad_()
    DISTFeatureLoss()(fs, lt).backward()
    ref.feature_loss(fs_ref, lt).backward()
    torch.testing.assert_close(fs.grad, fs_ref.grad, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize('loss', [DISTLogitLoss(), DISTFeatureLoss()])
def test_matching_student_and_teacher_give_zero(loss):
    x = torch.randn(2, 8, 6, 6)
    assert loss(x, x.clone()).item() == pytest.approx(0.0, abs=1e-6)


def test_feature_loss_invariant_to_positive_scaling():
    fs, ft = torch.randn(2, 8, 6, 6), torch.randn(2, 8, 6, 6)
    loss = DISTFeatureLoss()
    base = loss(fs, ft)
    torch.testing.assert_close(loss(fs * 7.5, ft), base)
    torch.testing.assert_close(loss(fs, ft * 0.01), base)


@pytest.mark.parametrize('dtype',
                         [torch.float32, torch.bfloat16, torch.float16])
def test_zero_variance_inputs_are_finite(dtype):
    const = torch.zeros(2, 5, 4, 4, dtype=dtype, requires_grad=True)
    other = torch.randn(2, 5, 4, 4).to(dtype)
    losses = [
        DISTLogitLoss()(const, other),
        DISTLogitLoss()(other, const),
        DISTFeatureLoss()(const, other),
        TeacherAcclimationLoss()(const, other, torch.zeros(2, 4, 4).long())
    ]
    for value in losses:
        assert value.dtype == torch.float32 and torch.isfinite(value)
    sum(losses).backward()
    assert torch.isfinite(const.grad).all()
    # constant student vs anything: rho = 0, so every distance is exactly 1
    terms = DISTLogitLoss().relations(const.float(), other.float())
    assert terms['inter'].item() == pytest.approx(1.0)
    assert terms['intra'].item() == pytest.approx(1.0)


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_computes_in_fp32(dtype):
    ls = torch.randn(2, 19, 8, 8)
    lt = torch.randn(2, 19, 8, 8)
    conv = torch.nn.Conv2d(19, 19, 1)
    with torch.autocast('cpu', dtype=dtype):
        out = conv(ls)
        assert out.dtype == dtype
        loss = DISTLogitLoss()(out, lt) + DISTFeatureLoss()(out, lt)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    expected = ref.dist_loss(out.float(), lt) + ref.feature_loss(
        out.float(), lt)
    torch.testing.assert_close(loss, expected)


def test_registered_in_mmrazor_registry():
    for name in ('DISTLogitLoss', 'DISTFeatureLoss', 'TeacherAcclimationLoss'):
        assert MODELS.build(dict(type=name)).__class__.__name__ == name


def test_error_messages_name_shapes_and_cause():
    with pytest.raises(
            ValueError, match=r'19 classes but teacher 20.*'
            r'num_classes'):
        DISTLogitLoss()(torch.randn(2, 19, 4, 4), torch.randn(2, 20, 4, 4))
    with pytest.raises(ValueError, match=r'\(2, 19, 4, 4\).*\(2, 19, 8, 8\)'):
        DISTLogitLoss()(torch.randn(2, 19, 4, 4), torch.randn(2, 19, 8, 8))
    with pytest.raises(
            ValueError,
            match=r'valid_mask of shape \(2, 32, 32\)'
            r'.*\(2, 19, 4, 4\).*valid_mask_from_labels'):
        DISTLogitLoss()(torch.randn(2, 19, 4, 4), torch.randn(2, 19, 4, 4),
                        torch.ones(2, 32, 32, dtype=torch.bool))
    with pytest.raises(
            ValueError,
            match=r'128 channels, teacher 256.*'
            r'ConvModuleConnector.*in_channel=128, '
            r'out_channel=256'):
        DISTFeatureLoss()(torch.randn(2, 128, 4, 4), torch.randn(2, 256, 4, 4))
    with pytest.raises(ValueError, match='spatial sizes differ'):
        DISTFeatureLoss(resize_student=False)(torch.randn(2, 8, 4, 4),
                                              torch.randn(2, 8, 8, 8))
    with pytest.raises(ValueError, match=r'target \(7,\) does not fit'):
        TeacherAcclimationLoss()(torch.randn(6, 5), torch.randn(6, 5),
                                 torch.zeros(7).long())
    with pytest.raises(ValueError, match=r'must lie in \[0, 4\]'):
        TeacherAcclimationLoss()(torch.randn(6, 5), torch.randn(6, 5),
                                 torch.full((6, ), 5))
    with pytest.raises(
            ValueError,
            match="'num_classes' is set to the "
            "student's class count by DISTPlusDistill"):
        TeacherAcclimationLoss(
            activation='sigmoid',
            anchor_classes='num_classes')(torch.randn(1, 6, 2, 2),
                                          torch.randn(1, 6, 2, 2),
                                          torch.zeros(1, 12).long())
    with pytest.raises(ValueError, match='anchor_classes=80'):
        DISTLogitLoss(
            activation='sigmoid', anchor_classes=80)(torch.randn(1, 100, 2, 2),
                                                     torch.randn(1, 100, 2, 2))


def test_feature_loss_resizes_student_to_teacher():
    fs, ft = torch.randn(2, 8, 4, 4), torch.randn(2, 8, 8, 8)
    up = torch.nn.functional.interpolate(
        fs, size=(8, 8), mode='bilinear', align_corners=False)
    torch.testing.assert_close(DISTFeatureLoss()(fs, ft),
                               ref.feature_loss(up, ft))


@pytest.mark.parametrize('labels', [False, True])
def test_logit_loss_resizes_student_logits_of_another_stride(labels):
    """A stride-8 student and a stride-4 teacher (PSPNet and DeepLabV3+):
    the student logits bilinearly upsampled, then the plain DIST loss; the
    label map masks at the teacher's resolution; gradients flow through the
    resize."""
    ls = torch.randn(2, 5, 4, 6, dtype=torch.float64, requires_grad=True)
    lt = torch.randn(2, 5, 8, 12, dtype=torch.float64)
    gt = torch.randint(0, 5, (2, 32, 48))
    gt[:, :8] = 255
    kwargs = dict(gt_labels=gt) if labels else {}
    up = torch.nn.functional.interpolate(
        ls, size=(8, 12), mode='bilinear', align_corners=False)
    valid = valid_mask_from_labels(gt, (8, 12))[:, 0] if labels else None
    loss = DISTLogitLoss(resize_student=True)
    torch.testing.assert_close(
        loss(ls, lt, **kwargs), ref.dist_loss(up, lt, valid=valid))
    assert torch.autograd.gradcheck(lambda x: loss(x, lt, **kwargs), (ls, ))
    with pytest.raises(
            ValueError, match='spatial sizes differ.*'
            'resize_student=True'):
        DISTLogitLoss()(ls, lt, **kwargs)


def test_gt_labels_mask_ignored_pixels():
    ls, lt = torch.randn(2, 19, 8, 16), torch.randn(2, 19, 8, 16)
    labels = torch.randint(0, 19, (2, 1, 64, 128))
    labels[..., :24, :] = 255
    valid = valid_mask_from_labels(labels, (8, 16))
    torch.testing.assert_close(DISTLogitLoss()(ls, lt, gt_labels=labels),
                               ref.dist_loss(ls, lt, valid=valid[:, 0]))


@pytest.mark.parametrize('floor', [0.1, 0.5])
def test_spread_floor_bounds_flat_rows_like_the_reference(floor):
    """Rows of ``a`` flatter than ``floor`` times ``b`` get the exact
    gradient scaled by ``||a_c|| / (floor ||b_c||)``; the others and the value
    are exact."""
    a = torch.randn(40, 6, dtype=torch.float64)
    a[:20] *= 1e-3  # near-flat rows
    b = torch.randn(40, 6, dtype=torch.float64)
    x = a.clone().requires_grad_()
    value = pearson_distance(x, b, 1, spread_floor=floor)
    value.mean().backward()
    torch.testing.assert_close(value, 1 - ref.pearson_rows(a, b))
    expected = ref.bounded_pearson_grad(a, b, floor)
    torch.testing.assert_close(x.grad, expected)
    exact = ref.bounded_pearson_grad(a, b, 1e-30)
    spread = (a - a.mean(1, keepdim=True)).norm(dim=1) >= \
        floor * (b - b.mean(1, keepdim=True)).norm(dim=1)
    assert spread[20:].sum() > 5 and not spread[:20].any()
    torch.testing.assert_close(x.grad[spread], exact[spread])
    # bounded: sqrt(1 - rho^2) / (floor ||b_c||) per row, over the 40 rows
    b_norm = (b - b.mean(1, keepdim=True)).norm(dim=1)
    assert (x.grad.norm(dim=1) <= 1 / (floor * b_norm * 40) + 1e-12).all()
    assert (exact[:20].norm(dim=1) > 3 / (floor * b_norm[:20] * 40)).all()


def test_spread_floor_hand_computed_bound():
    """a = (e, 0, -e), b = (0, 1, -1): rho = 1/2, and the exact gradient has
    norm sqrt(1 - rho^2) / ||a_c|| = sqrt(3) / 2 / (sqrt(2) e); with
    ||a_c|| = sqrt(2) e below floor * ||b_c|| = floor * sqrt(2) it is
    bounded to sqrt(3) / 2 / (floor * sqrt(2))."""
    e, floor = 1e-2, 0.25
    a = torch.tensor([[e, 0.0, -e]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[0.0, 1.0, -1.0]], dtype=torch.float64)
    pearson_distance(a, b, 1).sum().backward()
    exact = a.grad.norm().item()
    assert exact == pytest.approx(
        math.sqrt(3) / 2 / (math.sqrt(2) * e), rel=1e-5)
    a.grad = None
    pearson_distance(a, b, 1, spread_floor=floor).sum().backward()
    assert a.grad.norm().item() == pytest.approx(
        math.sqrt(3) / 2 / (floor * math.sqrt(2)), rel=1e-5)


def test_flat_rtol_leaves_out_flat_reference_rows():
    """b = 5 * (1 + d * (1, 0, -1)) has std / |mean| = d * sqrt(2 / 3). With
    flat_rtol = 1e-3, the rows with d = 1e-4 are left out (1 - rho = 1, zero
    gradient) and those with d = 1e-2 are exact (rho does not depend on
    d)."""
    a = torch.randn(4, 3, dtype=torch.float64)
    d = torch.tensor([1e-4, 1e-4, 1e-2, 1e-2], dtype=torch.float64)[:, None]
    b = 5.0 * (1 + d * torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64))
    x = a.clone().requires_grad_()
    value = pearson_distance(x, b, 1, flat_rtol=1e-3)
    value[2:].mean().backward()  # value[:2] is constant
    assert value[:2].tolist() == [1.0, 1.0]
    assert not x.grad[:2].any()
    a_c = a - a.mean(1, keepdim=True)
    b_c = 5.0 * d[:, 0]  # times (1, 0, -1); eps = 1e-8 in the denominator
    hand = 1 - b_c * (a_c[:, 0] - a_c[:, 2]) / (
        a_c.norm(dim=1) * b_c * math.sqrt(2) + 1e-8)
    torch.testing.assert_close(value[2:], hand[2:])
    torch.testing.assert_close(x.grad[2:],
                               ref.bounded_pearson_grad(a[2:], b[2:], 1e-30))
    # without the tolerance the flat rows are correlated like the others
    torch.testing.assert_close(pearson_distance(a, b, 1), hand)


def registered_relation_losses():
    """Every ``RelationLoss`` in MMRazor's ``MODELS`` registry: what a
    config can name."""
    return sorted(
        {
            cls
            for cls in MODELS.module_dict.values()
            if isinstance(cls, type) and issubclass(cls, RelationLoss)
        },
        key=lambda cls: cls.__name__)


def test_every_dist_mm_loss_is_registered():
    names = {cls.__name__ for cls in registered_relation_losses()}
    assert {
        'DISTLogitLoss', 'DISTFeatureLoss', 'TeacherAcclimationLoss',
        'TeacherHeadFitLoss'
    } <= names


@pytest.mark.parametrize(
    'cls', registered_relation_losses(), ids=lambda cls: cls.__name__)
def test_losses_share_the_relation_loss_contract(cls):
    """forward = loss_weight * sum(weight * term) over ``relations()``, and
    ``last_terms`` holds the detached terms of that call; for every
    registered loss, with weights other than 1."""
    loss = cls()
    loss.loss_weight = 1.5
    for i, attr in enumerate(filter(None, loss.term_weights.values())):
        setattr(loss, attr, 0.3 + 2 * i)
    args = cls.example_inputs()
    terms = loss.relations(**args)
    assert set(terms) == set(loss.term_weights)
    value = loss(**args)
    weights = {
        k: getattr(loss, w) if w else 1.0
        for k, w in loss.term_weights.items()
    }
    expected = loss.loss_weight * sum(weights[k] * terms[k] for k in terms)
    torch.testing.assert_close(value, expected)
    assert loss.last_terms.keys() == terms.keys()
    for k, v in loss.last_terms.items():
        assert not v.requires_grad
        torch.testing.assert_close(v, terms[k].detach())
