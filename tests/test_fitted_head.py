"""A dense head of the student's kind fitted on a frozen teacher's features
(``TeacherDenseHead`` + ``TeacherHeadFitLoss``), and the pair analysis that
measures what a target carries beyond the label."""
import copy
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from dist_mm.analysis import target_statistics
from dist_mm.connectors import TeacherDenseHead
from dist_mm.losses import TeacherHeadFitLoss
from dist_mm.testing import (det_batch, seg_batch, tiny_pspnet,
                             tiny_query_segmentor)
from mmengine.config import Config
from mmengine.optim import OptimWrapper

from tests.helpers import calls_of
from .test_stronger_teachers import (ROOT, SEG_SIZE, build, distill_losses,
                                     mask2former_distiller, query_distill)


def head_distiller():
    """The Mask2Former fitted-head distiller, at the tiny widths."""
    distiller = mask2former_distiller('m2f_head_distiller')
    distiller['connectors']['t_head']['head'].update(
        in_channels=32, channels=16, norm_cfg=dict(type='BN'))
    return distiller


def two_train_steps(model, batch):
    """Two SGD training steps with a finite loss; the last log."""
    optim = OptimWrapper(
        torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                        lr=0.01))
    for _ in range(2):
        log_vars = model.train_step(copy.copy(batch), optim)
        assert torch.isfinite(log_vars['loss'])
    return log_vars


def reference_fit_loss(logits, labels, ignore_index=255):
    """mmseg's decode-head loss: logits upsampled, torch's cross-entropy."""
    up = F.interpolate(
        logits, labels.shape[-2:], mode='bilinear', align_corners=False)
    return F.cross_entropy(up, labels.long(), ignore_index=ignore_index)


def test_fit_loss_against_reference():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 4, 6)
    labels = torch.randint(0, 5, (2, 1, 8, 12))
    labels[0, 0, :2] = 255
    loss = TeacherHeadFitLoss(loss_weight=0.5)
    value = loss(logits, labels)
    torch.testing.assert_close(value,
                               0.5 * reference_fit_loss(logits, labels[:, 0]))
    assert set(loss.last_terms) == {'task'}
    up = F.interpolate(logits, (8, 12), mode='bilinear')
    valid = labels[:, 0] != 255
    expected_acc = (up.argmax(1) == labels[:, 0])[valid].float().mean()
    torch.testing.assert_close(loss.last_teacher_accuracy, expected_acc)


def test_fit_loss_hand_computed():
    # one pixel, probabilities (1/4, 3/4); labels: class 1 and an ignored one
    logits = torch.tensor([0.0, math.log(3.0)]).view(1, 2, 1, 1)
    labels = torch.tensor([[[1, 255]]])
    loss = TeacherHeadFitLoss()
    torch.testing.assert_close(
        loss(logits, labels), torch.tensor(-math.log(0.75)))
    assert loss.last_teacher_accuracy.item() == 1.0


def test_fit_loss_gradients():
    torch.manual_seed(0)
    logits = torch.randn(1, 3, 2, 3, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([[[0, 1, 2, 255], [2, 2, 1, 0], [1, 0, 255, 2]]])
    assert torch.autograd.gradcheck(lambda x: TeacherHeadFitLoss()(x, labels),
                                    (logits, ))


def test_fit_loss_says_what_it_takes():
    with pytest.raises(ValueError, match=r'label map\n?.*\[N, H, W\]'):
        TeacherHeadFitLoss()(torch.zeros(2, 3, 4, 4), torch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match='TeacherDenseHead'):
        TeacherHeadFitLoss()(torch.zeros(2, 3), torch.zeros(2))


def test_dense_head_is_an_mmseg_head_on_the_recorded_maps():
    torch.manual_seed(0)
    head = TeacherDenseHead(
        head=dict(
            type='mmseg.FCNHead',
            in_channels=4,
            in_index=1,
            channels=8,
            num_convs=1,
            num_classes=3,
            dropout_ratio=0))
    feats = [torch.randn(2, 4, 2, 2), torch.randn(2, 4, 4, 6)]
    out = head(feats)
    assert out.shape == (2, 3, 4, 6)
    torch.testing.assert_close(out, head.head(feats))
    out.sum().backward()
    assert all(p.grad is not None for p in head.parameters())


def test_fitted_head_pair_runs_no_decoder_and_trains_only_the_head():
    cfg = query_distill(
        tiny_query_segmentor(),
        architecture=tiny_pspnet(width=8),
        distiller=head_distiller())
    model = build(cfg).train()
    batch = seg_batch(2, SEG_SIZE)
    ran = calls_of(model.teacher, [
        'decode_head.pixel_decoder', 'decode_head.transformer_decoder.layers.0'
    ])
    losses = distill_losses(model, batch)
    assert set(ran) == {'decode_head.pixel_decoder'}
    assert {
        'distill.loss_head_fit', 'distill.loss_dist_decode',
        'distill.loss_dist_feat'
    } <= set(losses)
    head = model.distiller.connectors['t_head']
    before = copy.deepcopy(head.state_dict())
    teacher = copy.deepcopy(model.teacher.state_dict())
    log_vars = two_train_steps(model, batch)
    assert 'rel.head_fit.task' in log_vars and 'teacher.train_acc' in log_vars
    assert any(not torch.equal(before[k], v)
               for k, v in head.state_dict().items())
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(teacher[key], value), key


def test_relations_do_not_train_the_head():
    """Only the fit loss reaches the head: DISTLogitLoss detaches its
    target."""
    model = build(
        query_distill(
            tiny_query_segmentor(),
            architecture=tiny_pspnet(width=8),
            distiller=head_distiller())).train()
    data = model.data_preprocessor(seg_batch(2, SEG_SIZE), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    head = model.distiller.connectors['t_head']
    relations = losses['distill.loss_dist_decode'] + \
        losses['distill.loss_dist_aux']
    grads = torch.autograd.grad(
        relations, list(head.parameters()), allow_unused=True)
    assert all(g is None for g in grads)


def test_target_statistics_hand_computed():
    # two pixels, three classes; labels 0 and ignored
    p = torch.tensor([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]])
    logits = p.log().t().reshape(1, 3, 1, 2)
    stats = target_statistics(logits, torch.tensor([[[0, 255]]]))
    assert stats['acc'] == 1.0
    assert stats['p_label'] == pytest.approx(0.5)
    entropy = -(p[0] * p[0].log()).sum() / math.log(3)
    assert stats['entropy'] == pytest.approx(entropy.item())
    # the non-label classes are uniform: nothing beyond the label
    assert stats['non_target_structure'] == pytest.approx(0.0, abs=1e-12)
    # all non-label mass on one class: everything beyond the label
    logits = torch.tensor([0.6, 0.4, 1e-30]).log().view(1, 3, 1, 1)
    stats = target_statistics(logits, torch.tensor([[[0]]]))
    assert stats['non_target_structure'] == pytest.approx(1.0)


def test_target_statistics_temperature_and_reference():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 3, 5) * 3
    labels = torch.randint(0, 4, (2, 6, 10))
    stats = target_statistics(logits, labels, tau=2.0)
    # straightforward: loop over the pixels of the nearest-resized labels
    small = labels[:, ::2, ::2]
    ent, struct, hit = [], [], []
    for n in range(2):
        for i in range(3):
            for j in range(5):
                p = (logits[n, :, i, j].double() / 2).softmax(0)
                y = small[n, i, j]
                ent.append(-(p * p.log()).sum() / math.log(4))
                q = torch.cat([p[:y], p[y + 1:]])
                q = q / q.sum()
                struct.append(1 + (q * q.log()).sum() / math.log(3))
                hit.append(float(p.argmax() == y))
    assert stats['entropy'] == pytest.approx(torch.stack(ent).mean().item())
    assert stats['non_target_structure'] == pytest.approx(
        torch.stack(struct).mean().item())
    assert stats['acc'] == pytest.approx(sum(hit) / len(hit))


def demo_model(config):
    """The model of a demo config, with the teacher as initialised."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'demo', config))
    cfg.model.teacher_ckpt = None
    return build(cfg.model.to_dict()).train()


def test_dino_fitted_head_uses_the_students_assignment_and_layout():
    """DINO -> RetinaNet through a RetinaNet-style classification branch on
    the teacher's neck: encoder and decoder never run, the head's logits
    have the student's [N, A*K, H, W] layout at each level, and the fit
    loss is the focal loss against the student's per-anchor labels."""
    model = demo_model('distplus-head_dino-retinanet_demo.py')
    batch = det_batch(2, size=128)
    ran = calls_of(model.teacher, ['neck', 'encoder', 'decoder'])
    data = model.data_preprocessor(copy.copy(batch), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(ran) == {'neck'}
    fit = model.distiller.distill_losses['loss_head_fit0']
    assert fit.anchor_classes == 3  # the student's class count
    record = model.distiller.get_record(
        recorder='neck', from_student=False, data_idx=0, connector='t_head')
    student = model.distiller.get_record(
        recorder='cls', from_student=True, record_idx=0)
    assert record.shape == student.shape
    labels = model.distiller.get_record(
        recorder='anchor_targets',
        from_student=True,
        data_idx=0,
        connector_idx=0)
    # mmdet's layout (AnchorHead.loss_by_feat): [N, H, W, A, K] flattened,
    # the labels' order; RetinaNet's focal loss (gamma 2, alpha 0.25) over
    # the foreground anchors of the level
    x = record.permute(0, 2, 3, 1).reshape(-1, 3)
    y = labels.reshape(-1)
    onehot = F.one_hot(y, 4)[:, :3].bool()
    p = x.sigmoid()
    pt = torch.where(onehot, p, 1 - p)
    alpha = torch.where(onehot, 0.25, 0.75)
    expected = -(alpha * (1 - pt)**2 * pt.log()).sum() / (y < 3).sum()
    torch.testing.assert_close(losses['distill.loss_head_fit0'], expected)
    two_train_steps(model, batch)


def test_analyze_pair_measures_targets_and_balance(tmp_path, monkeypatch):
    """``tools/analysis_tools/analyze_pair.py``'s logic on the PSPNet demo
    pair (labels from the batch: its DIST losses take none): the target
    statistics of teacher and student, the loss terms against the student's
    task loss, and the picture."""
    from dist_mm.analysis import analyze_pair
    from dist_mm.testing import DEMO_CONFIGS, prepare_demo_dir
    prepare_demo_dir(tmp_path)
    monkeypatch.chdir(tmp_path)
    picture = tmp_path / 'pair.png'
    result = analyze_pair(
        osp.join(DEMO_CONFIGS, 'distplus_pspnet_demo.py'),
        batches=1,
        picture=str(picture))
    targets = result['targets.loss_dist_decode']
    for who in ('teacher', 'student'):
        for key in ('acc', 'p_label', 'entropy', 'non_target_structure'):
            assert 0 <= targets[f'{who}.{key}'] <= 1, (who, key)
    losses = result['losses']
    assert losses['student'] == pytest.approx(
        losses['student.decode.loss_ce'] + losses['student.aux.loss_ce'])
    assert {'distill.loss_dist_decode', 'rel.dist_decode.inter'} <= set(losses)
    assert picture.stat().st_size > 0


def test_dense_head_is_initialised_by_its_init_cfg():
    """The head's init_cfg applies when the algorithm is built (mmengine's
    init_weights() does not reach MMRazor's connectors): RetinaNet's prior
    bias of the DINO fitted head."""
    model = demo_model('distplus-head_dino-retinanet_demo.py')
    bias = model.distiller.connectors['t_head'].head.conv_seg.bias
    torch.testing.assert_close(bias, torch.full_like(bias, -4.595))


def test_analyze_pair_skips_losses_without_a_student_side(
        tmp_path, monkeypatch):
    """A fitted head's task loss (teacher logits and labels only) has no
    target statistics; the DIST losses reading the head do."""
    from dist_mm.analysis import analyze_pair
    from dist_mm.datasets import make_cityscapes
    make_cityscapes(str(tmp_path / 'data' / 'synthetic_cityscapes'), 4, 4)
    monkeypatch.chdir(tmp_path)
    result = analyze_pair(
        osp.join(ROOT, 'configs', 'demo',
                 'distplus-head_mask2former-pspnet_demo.py'),
        batches=1,
        cfg_options={'model.teacher_ckpt': None})
    assert 'targets.loss_dist_decode' in result
    assert 'targets.loss_head_fit' not in result
    assert 'distill.loss_head_fit' in result['losses']
