"""What the teacher runs, when, and in which precision / memory format:
truncation to the recorded modules, teacher-before-student order (inside
the student's pass for two-stage teachers), teacher autocast independent of
the student, channels_last."""
import copy

import pytest
import torch

from mmrazor.registry import MODELS

from tests.helpers import calls_of
from . import distill_cfgs
from .distill_cfgs import pair, rec


def only(cfg, recorders, losses, maps, connectors=None):
    """``cfg`` with its recorders / losses / connectors replaced."""
    cfg = copy.deepcopy(cfg)
    cfg.update(acclimated_modules=[])
    cfg['distiller'].update(
        student_recorders=recorders,
        teacher_recorders=dict(recorders),
        distill_losses=losses,
        loss_forward_mappings=maps,
        connectors=connectors or {})
    return cfg


def distill_losses(model, batch, seed=0):
    torch.manual_seed(seed)
    data = model.data_preprocessor(copy.copy(batch), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    return {
        k: v.detach()
        for k, v in losses.items() if k.startswith('distill.')
    }


def build(cfg):
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.train()
    return model


SEG_LOGITS = (dict(logits=rec('decode_head.conv_seg')),
              dict(loss=dict(type='DISTLogitLoss')),
              dict(loss=pair('logits', 'logits')))
SEG_BACKBONE = (
    dict(feat=rec('backbone.layer4')), dict(loss=dict(type='DISTFeatureLoss')),
    dict(
        loss=dict(
            preds_S=dict(
                from_student=True, recorder='feat', connector='s_feat'),
            preds_T=dict(from_student=False, recorder='feat'))),
    dict(
        s_feat=dict(
            type='ConvModuleConnector',
            in_channel=64,
            out_channel=128,
            kernel_size=1,
            norm_cfg=None,
            act_cfg=None)))
RETINA_CLS = (dict(cls=rec('bbox_head.retina_cls')), {
    f'loss{i}': dict(type='DISTLogitLoss', activation='sigmoid')
    for i in range(5)
}, {
    f'loss{i}':
    dict(
        preds_S=dict(from_student=True, recorder='cls', record_idx=i),
        preds_T=dict(from_student=False, recorder='cls', record_idx=i))
    for i in range(5)
})
RCNN_FPN = (dict(fpn=rec('neck.fpn_convs.0.conv')),
            dict(loss=dict(type='DISTFeatureLoss')),
            dict(loss=pair('fpn', 'fpn')))

TRUNCATION = {
    # recorded -> teacher modules that must not run / that must run
    'pspnet decode_head only':
    (distill_cfgs.pspnet, distill_cfgs.seg_batch, SEG_LOGITS,
     ['auxiliary_head'], ['decode_head']),
    'pspnet backbone only':
    (distill_cfgs.pspnet, distill_cfgs.seg_batch, SEG_BACKBONE,
     ['auxiliary_head', 'decode_head'], ['backbone.layer4']),
    'retinanet cls branch only':
    (distill_cfgs.retinanet, distill_cfgs.det_batch, RETINA_CLS,
     ['bbox_head.reg_convs.0',
      'bbox_head.retina_reg'], ['bbox_head.cls_convs.0', 'neck']),
    'faster r-cnn neck only':
    (distill_cfgs.faster_rcnn, distill_cfgs.det_batch, RCNN_FPN,
     ['roi_head.bbox_head'], ['neck']),
}


@pytest.mark.parametrize('case', sorted(TRUNCATION))
def test_teacher_runs_only_up_to_the_recorded_modules(case):
    make_cfg, make_batch, spec, skipped, needed = TRUNCATION[case]
    cfg = only(
        make_cfg(acclimate=False)
        if make_cfg is distill_cfgs.faster_rcnn else make_cfg(), *spec)
    model = build(cfg)
    batch = make_batch()
    order = calls_of(model, [f'teacher.{n}' for n in skipped + needed])
    truncated = distill_losses(model, batch)
    assert {n.split('.', 1)[1] for n in order} == set(needed), order

    model = build(dict(cfg, truncate_teacher=False))  # the same weights
    order = calls_of(model, [f'teacher.{n}' for n in skipped + needed])
    full = distill_losses(model, batch)
    assert {n.split('.', 1)[1] for n in order} >= set(skipped)
    assert truncated.keys() == full.keys() and truncated
    for key in full:
        torch.testing.assert_close(truncated[key], full[key], rtol=0, atol=0)


def test_teacher_runs_before_the_student_unless_it_scores_its_rois():
    seg = build(distill_cfgs.pspnet())
    order = calls_of(seg, ['student.backbone', 'teacher.backbone'])
    distill_losses(seg, distill_cfgs.seg_batch())
    assert order == ['teacher.backbone', 'student.backbone']

    retina = build(distill_cfgs.retinanet())
    order = calls_of(retina, ['student.backbone', 'teacher.backbone'])
    distill_losses(retina, distill_cfgs.det_batch())
    assert order == ['teacher.backbone', 'student.backbone']

    det = build(distill_cfgs.faster_rcnn())
    order = calls_of(det, [
        'student.backbone', 'teacher.backbone', 'student.roi_head.bbox_head',
        'teacher.roi_head.bbox_head'
    ])
    batch = distill_cfgs.det_batch()
    distill_losses(det, batch)
    # scored when the student is about to pool its sampled RoIs: the
    # teacher's working set does not add to the student's RoI head
    assert order == [
        'student.backbone', 'teacher.backbone', 'teacher.roi_head.bbox_head',
        'student.roi_head.bbox_head'
    ]
    order.clear()
    det.eval()
    with torch.no_grad():  # no teacher when the student predicts
        det(**det.data_preprocessor(batch, False), mode='predict')
    assert order == ['student.backbone', 'student.roi_head.bbox_head']


def test_failed_student_pass_leaves_no_teacher_pass_for_predict():
    det = build(distill_cfgs.faster_rcnn())
    batch = distill_cfgs.det_batch()

    def fail(module, args, output):
        raise RuntimeError('student failed')

    handle = det.student.rpn_head.register_forward_hook(fail)
    with pytest.raises(RuntimeError, match='student failed'):
        distill_losses(det, batch)
    handle.remove()
    order = calls_of(det, ['teacher.backbone'])
    det.eval()
    with torch.no_grad():
        det(**det.data_preprocessor(batch, False), mode='predict')
    assert order == []


def test_teacher_autocast_is_independent_of_the_student():
    batch = distill_cfgs.seg_batch()
    cfg = only(distill_cfgs.pspnet(), *SEG_LOGITS)
    fp32 = distill_losses(build(cfg), batch)

    model = build(dict(cfg, teacher_autocast='bfloat16'))
    bf16 = distill_losses(model, batch)
    assert model.distiller.get_record('logits', False).dtype == \
        torch.bfloat16
    assert model.distiller.get_record('logits', True).dtype == torch.float32
    assert torch.isfinite(bf16['distill.loss'])
    torch.testing.assert_close(
        bf16['distill.loss'], fp32['distill.loss'], rtol=0.05, atol=0.01)

    model = build(dict(cfg, teacher_autocast='float32'))
    with torch.autocast('cpu', dtype=torch.bfloat16):  # the student's AMP
        distill_losses(model, batch)
    assert model.distiller.get_record('logits', False).dtype == \
        torch.float32
    assert model.distiller.get_record('logits', True).dtype == \
        torch.bfloat16

    with pytest.raises(ValueError, match="teacher_autocast must be"):
        build(dict(cfg, teacher_autocast='fp8'))


@pytest.mark.parametrize('name', ['pspnet', 'faster_rcnn'])
def test_teacher_channels_last_gives_the_same_losses(name):
    # faster_rcnn: mmcv's RoIAlign would pool wrong values from
    # channels_last maps
    make_cfg, make_batch = distill_cfgs.PAIRS[name]
    cfg, batch = make_cfg(), make_batch()
    default = distill_losses(build(cfg), batch)
    model = build(dict(cfg, teacher_channels_last=True))
    conv = model.teacher.backbone.layer1[0].conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert not conv.is_contiguous()
    got = distill_losses(model, batch)
    for key in default:
        torch.testing.assert_close(
            got[key], default[key], rtol=1e-4, atol=1e-5)


def test_bf16_two_stage_teacher_pools_rois_from_float32_features():
    # mmcv's RoIAlign has no bfloat16 kernel
    model = build(
        dict(distill_cfgs.faster_rcnn(), teacher_autocast='bfloat16'))
    losses = distill_losses(model, distill_cfgs.det_batch())
    assert model.distiller.get_record('cls', False).dtype == torch.bfloat16
    assert model.distiller.get_record('fpn0', False).dtype == torch.bfloat16
    assert all(torch.isfinite(v).all() for v in losses.values())
