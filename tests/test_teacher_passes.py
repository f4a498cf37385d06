"""Teacher passes for every family: picked by the teacher's class, each one
running only what the recorders read, with tiny real models built from
mmdet's and mmseg's own configs. Adding a family: a pass in
``dist_mm/algorithms/teacher_passes/``, a tiny model below and a test."""
import copy

import numpy as np
import pytest
import torch

from dist_mm.algorithms import TEACHER_PASSES, build_teacher_pass
from dist_mm.algorithms.teacher_passes import (
    CascadeEncoderDecoderTeacherPass, DenseHeadTeacherPass,
    DetectionTransformerTeacherPass, EncoderDecoderTeacherPass,
    MaskClassificationTeacherPass, TwoStageTeacherPass)
from dist_mm.testing import (DEFORMABLE_DETR, DETR, DINO, MASKFORMER,
                             NUM_CLASSES, det_batch, seg_batch,
                             tiny_detr_family, tiny_faster_rcnn, tiny_pspnet,
                             tiny_query_segmentor, tiny_resnet_fpn,
                             tiny_retinanet, tiny_segformer, tiny_swin_upernet)
from mmdet.structures.mask import BitmapMasks
from mmengine.hub import get_config
from mmengine.optim import OptimWrapper
from mmrazor.registry import MODELS

from tests.helpers import calls_of
from .distill_cfgs import pair, rec

BN = dict(type='BN', requires_grad=True)
GN = dict(type='GN', num_groups=4, requires_grad=True)


def _config(path, edit):
    model = copy.deepcopy(get_config(path).model)
    edit(model)
    model._scope_ = path.split('::')[0]
    return model


def _rcnn(model, width=8):
    """Shrink a (Cascade / Mask) R-CNN ResNet-FPN in place."""
    if model.backbone.type == 'ResNet':
        tiny_resnet_fpn(model, width)
    model.rpn_head.update(in_channels=16, feat_channels=16)
    heads = model.roi_head.bbox_head
    for head in heads if isinstance(heads, list) else [heads]:
        head.update(
            in_channels=16, fc_out_channels=32, num_classes=NUM_CLASSES)
    model.roi_head.bbox_roi_extractor.out_channels = 16
    if 'mask_head' in model.roi_head:
        model.roi_head.mask_roi_extractor.out_channels = 16
        model.roi_head.mask_head.update(
            in_channels=16, conv_out_channels=16, num_classes=NUM_CLASSES)
    model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=64)
    rcnn = model.train_cfg.rcnn
    for stage in rcnn if isinstance(rcnn, list) else [rcnn]:
        stage.sampler.num = 32
    model.test_cfg.rpn.update(nms_pre=200, max_per_img=64)


def _swin(model):
    model.backbone.update(
        embed_dims=16,
        depths=[1, 1, 1, 1],
        num_heads=[1, 1, 1, 1],
        init_cfg=None)
    model.neck.update(in_channels=[16, 32, 64, 128], out_channels=16)
    _rcnn(model)


def _dense(model):
    tiny_resnet_fpn(model, 8)
    model.bbox_head.update(
        in_channels=16,
        feat_channels=16,
        stacked_convs=1,
        num_classes=NUM_CLASSES,
        norm_cfg=GN)


def _rtmdet(model):
    model.backbone.update(widen_factor=0.125, init_cfg=None, norm_cfg=BN)
    model.neck.update(
        in_channels=[32, 64, 128],
        out_channels=16,
        num_csp_blocks=1,
        norm_cfg=BN)
    model.bbox_head.update(
        in_channels=16,
        feat_channels=16,
        stacked_convs=1,
        num_classes=NUM_CLASSES,
        norm_cfg=BN)


def _ocrnet(model):
    model.pretrained = None
    model.backbone.update(
        depth=18, stem_channels=8, base_channels=8, norm_cfg=BN)
    model.decode_head[0].update(in_channels=32, channels=16, norm_cfg=BN)
    model.decode_head[1].update(
        in_channels=64, channels=16, ocr_channels=8, norm_cfg=BN)
    model.data_preprocessor.update(size=None, size_divisor=8)


def _solo(model):
    model.backbone.init_cfg = None
    model.mask_head.num_classes = NUM_CLASSES


MMDET = 'mmdet::'
FAMILIES = {
    # name: (tiny model config, the pass it must get)
    'faster-rcnn': (tiny_faster_rcnn(), TwoStageTeacherPass),
    'mask-rcnn': (_config(MMDET + 'mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
                          _rcnn), TwoStageTeacherPass),
    'cascade-rcnn':
    (_config(MMDET + 'cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco.py',
             _rcnn), TwoStageTeacherPass),
    'swin-mask-rcnn':
    (_config(MMDET + 'swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py',
             _swin), TwoStageTeacherPass),
    'retinanet': (tiny_retinanet(), DenseHeadTeacherPass),
    'fcos': (_config(MMDET + 'fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',
                     _dense), DenseHeadTeacherPass),
    'atss': (_config(MMDET + 'atss/atss_r50_fpn_1x_coco.py',
                     _dense), DenseHeadTeacherPass),
    'gfl': (_config(MMDET + 'gfl/gfl_r50_fpn_1x_coco.py',
                    _dense), DenseHeadTeacherPass),
    'rtmdet': (_config(MMDET + 'rtmdet/rtmdet_tiny_8xb32-300e_coco.py',
                       _rtmdet), DenseHeadTeacherPass),
    'dino': (tiny_detr_family(DINO), DetectionTransformerTeacherPass),
    'deformable-detr':
    (tiny_detr_family(DEFORMABLE_DETR), DetectionTransformerTeacherPass),
    'detr': (tiny_detr_family(DETR), DetectionTransformerTeacherPass),
    'pspnet': (tiny_pspnet(), EncoderDecoderTeacherPass),
    'segformer': (tiny_segformer(), EncoderDecoderTeacherPass),
    'swin-upernet': (tiny_swin_upernet(), EncoderDecoderTeacherPass),
    # an EncoderDecoder too, with a query-based decode head
    'mask2former': (tiny_query_segmentor(), MaskClassificationTeacherPass),
    'maskformer': (tiny_query_segmentor(MASKFORMER),
                   MaskClassificationTeacherPass),
    'ocrnet':
    (_config('mmseg::ocrnet/ocrnet_r101-d8_4xb2-40k_cityscapes-512x1024.py',
             _ocrnet), CascadeEncoderDecoderTeacherPass),
}
# the classifier each dense head applies after its cls_convs
CLASSIFIERS = dict(
    retinanet='retina_cls',
    fcos='conv_cls',
    atss='atss_cls',
    gfl='gfl_cls',
    rtmdet='rtm_cls')


def build(name):
    """The family's tiny model, initialised as the Runner does (DETR-family
    detectors allocate ``level_embed`` uninitialised until then)."""
    torch.manual_seed(0)
    # (mmdet's DETR-family detectors write into their config dict)
    model = MODELS.build(copy.deepcopy(FAMILIES[name][0]))
    model.init_weights()
    return model.eval()


def distill(student, teacher, s_rec, t_rec, loss='DISTLogitLoss', **kw):
    """A DISTPlusDistill model on one recorder pair (``loss``: a loss type
    or config)."""
    loss = loss if isinstance(loss, dict) else dict(type=loss)
    torch.manual_seed(0)
    cfg = dict(
        type='DISTPlusDistill',
        architecture=FAMILIES[student][0],
        teacher=FAMILIES[teacher][0],
        distiller=dict(
            type='ConfigurableDistiller',
            student_recorders=dict(s=rec(s_rec)),
            teacher_recorders=dict(t=rec(t_rec)),
            distill_losses=dict(loss=loss),
            loss_forward_mappings=dict(loss=pair('s', 't'))),
        **kw)
    model = MODELS.build(cfg)
    model.init_weights()
    model.train()
    return model


def rois_into(module):
    """The RoIs each call of the RoI extractor ``module`` pools."""
    seen = []
    module.register_forward_pre_hook(lambda m, args: seen.append(args[1]))
    return seen


def masked(batch):
    """``batch`` with box-shaped instance masks, for Mask R-CNN."""
    for sample in batch['data_samples']:
        h, w = sample.metainfo['img_shape']
        masks = np.zeros((len(sample.gt_instances), h, w), np.uint8)
        for mask, box in zip(masks, sample.gt_instances.bboxes.int()):
            mask[box[1]:box[3] + 1, box[0]:box[2] + 1] = 1
        sample.gt_instances.masks = BitmapMasks(masks, h, w)
    return batch


def step(model, batch):
    data = model.data_preprocessor(copy.copy(batch), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert torch.isfinite(losses['distill.loss']), losses
    return losses


@pytest.mark.parametrize('name', sorted(FAMILIES))
def test_each_family_gets_its_most_specific_pass(name):
    assert type(build_teacher_pass(build(name))) is FAMILIES[name][1]


def test_every_registered_pass_has_a_family_here():
    """The contract tests below run every family of FAMILIES: a pass
    registered in TEACHER_PASSES without a tiny model here is untested."""
    covered = {cls for _, cls in FAMILIES.values()}
    untested = sorted(cls.__name__
                      for cls in TEACHER_PASSES.module_dict.values()
                      if cls not in covered)
    assert not untested, (
        f'{untested}: add a tiny model of each family to FAMILIES '
        '(docs/en/advanced_guides/add_model_family.md)')


def test_a_family_without_a_pass_is_refused_at_build():
    FAMILIES['solo'] = (_config(MMDET + 'solo/solo_r50_fpn_1x_coco.py',
                                _solo), None)
    try:
        with pytest.raises(ValueError) as err:
            distill(
                'faster-rcnn',
                'solo',
                'neck.fpn_convs.0.conv',
                'backbone.layer1',
                loss='DISTFeatureLoss')
    finally:
        del FAMILIES['solo']
    message = str(err.value)
    assert 'no teacher pass for a SOLO teacher' in message
    assert 'SingleStageDetector' in message and 'TwoStageDetector' in message


@pytest.mark.parametrize('name', sorted(CLASSIFIERS))
def test_dense_heads_run_only_their_classification_branch(name):
    teacher = build(name)
    cls = CLASSIFIERS[name]
    head = teacher.bbox_head
    others = [
        f'bbox_head.{n}' for n, _ in head.named_children()
        if n not in ('cls_convs', cls, 'loss_cls', 'loss_bbox',
                     'loss_centerness', 'loss_dfl', 'prior_generator',
                     'assigner', 'sampler', 'integral', 'scales')
    ]
    assert others  # the regression branch at least
    inputs = torch.rand(2, 3, 64, 64)
    ran = calls_of(teacher, others)
    with torch.no_grad():
        out = build_teacher_pass(teacher, {f'bbox_head.{cls}'})(inputs, {})
        assert ran == []
        whole = head(teacher.extract_feat(inputs))[0]
    assert len(out[0]) == len(whole)
    for level, expected in zip(out[0], whole):
        torch.testing.assert_close(level, expected, rtol=0, atol=0)


def test_cascade_teacher_and_student_meet_at_the_recorded_stage():
    """Both cascades record stage 0 (the DIST authors' choice): the teacher
    runs only its first stage, on the student's first-stage RoIs."""
    model = distill('cascade-rcnn', 'cascade-rcnn',
                    'roi_head.bbox_head.0.fc_cls',
                    'roi_head.bbox_head.0.fc_cls')
    teacher_rois = rois_into(model.teacher.roi_head.bbox_roi_extractor[0])
    student_rois = rois_into(model.student.roi_head.bbox_roi_extractor[0])
    later = calls_of(
        model.teacher,
        ['roi_head.bbox_head.1', 'roi_head.bbox_head.2', 'rpn_head'])
    step(model, det_batch())
    assert later == []
    assert len(teacher_rois) == 1
    torch.testing.assert_close(
        teacher_rois[0], student_rois[0], rtol=0, atol=0)


def test_cascade_teacher_scores_student_rois_with_its_recorded_stage():
    model = distill('faster-rcnn', 'cascade-rcnn', 'roi_head.bbox_head.fc_cls',
                    'roi_head.bbox_head.2.fc_cls')
    ran = calls_of(model.teacher,
                   [f'roi_head.bbox_head.{i}' for i in range(3)])
    step(model, det_batch())
    assert ran == ['roi_head.bbox_head.2']


def test_mask_head_recorders_score_the_students_positive_rois():
    model = distill(
        'mask-rcnn',
        'mask-rcnn',
        'roi_head.mask_head.conv_logits',
        'roi_head.mask_head.conv_logits',
        loss='DISTFeatureLoss')
    teacher_rois = rois_into(model.teacher.roi_head.mask_roi_extractor)
    student_rois = rois_into(model.student.roi_head.mask_roi_extractor)
    step(model, masked(det_batch()))
    torch.testing.assert_close(
        teacher_rois[0], student_rois[0], rtol=0, atol=0)
    s = model.distiller.get_record('s', True)
    t = model.distiller.get_record('t', False)
    assert s.shape == t.shape and s.shape[0] == student_rois[0].shape[0]


def test_two_stage_teacher_distils_features_into_a_one_stage_student():
    """MMRazor's PKD pattern: no RoI is needed, so no RoI head runs."""
    model = distill(
        'retinanet',
        'faster-rcnn',
        'neck.fpn_convs.0.conv',
        'neck.fpn_convs.0.conv',
        loss='DISTFeatureLoss')
    ran = calls_of(model.teacher, ['rpn_head', 'roi_head.bbox_head'])
    step(model, det_batch())
    assert ran == []


def test_two_stage_teacher_rois_without_a_two_stage_student_are_refused():
    with pytest.raises(ValueError, match='samples none'):
        distill('retinanet', 'faster-rcnn', 'bbox_head.retina_cls',
                'roi_head.bbox_head.fc_cls')


SIGMOID = dict(type='DISTLogitLoss', activation='sigmoid')
FEATURE = 'DISTFeatureLoss'
RESIZED = dict(type='DISTLogitLoss', resize_student=True)
TRAINING = {
    # pair: student, teacher, student / teacher recorder, loss
    'retinanet': ('retinanet', 'retinanet', 'bbox_head.retina_cls', SIGMOID),
    'fcos': ('fcos', 'fcos', 'bbox_head.conv_cls', SIGMOID),
    'atss': ('atss', 'atss', 'bbox_head.atss_cls', SIGMOID),
    'gfl': ('gfl', 'gfl', 'bbox_head.gfl_cls', SIGMOID),
    'rtmdet': ('rtmdet', 'rtmdet', 'bbox_head.rtm_cls.0', SIGMOID),
    'faster-rcnn': ('faster-rcnn', 'faster-rcnn', 'roi_head.bbox_head.fc_cls',
                    'DISTLogitLoss'),
    'cascade-rcnn': ('cascade-rcnn', 'cascade-rcnn',
                     'roi_head.bbox_head.0.fc_cls', 'DISTLogitLoss'),
    # the paper's stronger-teacher case: a transformer backbone
    'swin-mask-rcnn -> faster-rcnn':
    ('faster-rcnn', 'swin-mask-rcnn', 'roi_head.bbox_head.fc_cls',
     'DISTLogitLoss'),
    'faster-rcnn -> retinanet (features)':
    ('retinanet', 'faster-rcnn', 'neck.fpn_convs.0.conv', FEATURE),
    'pspnet': ('pspnet', 'pspnet', 'decode_head.conv_seg', 'DISTLogitLoss'),
    'ocrnet -> pspnet':
    ('pspnet', 'ocrnet', ('decode_head.conv_seg', 'decode_head.1.conv_seg'),
     'DISTLogitLoss'),
    # transformer-backbone teachers, their logits at stride 4: the
    # student's stride-8 logits are resized to them
    'segformer -> pspnet':
    ('pspnet', 'segformer', 'decode_head.conv_seg', RESIZED),
    'swin-upernet -> pspnet': ('pspnet', 'swin-upernet',
                               'decode_head.conv_seg', RESIZED),
}


def distill_losses(model, batch):
    torch.manual_seed(0)  # the student's RoI sampling
    data = model.data_preprocessor(copy.copy(batch), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    return {k: v.detach() for k, v in losses.items() if 'distill' in k}


@pytest.mark.parametrize('name', sorted(TRAINING))
def test_each_family_trains_and_truncation_changes_no_loss(name):
    """Training steps with finite losses; the truncated teacher pass gives
    exactly the losses of the whole forward-only pass."""
    student, teacher, recorders, loss = TRAINING[name]
    s_rec, t_rec = recorders if isinstance(recorders, tuple) else \
        (recorders, recorders)
    batch = seg_batch() if student == 'pspnet' else det_batch()
    whole = distill(
        student, teacher, s_rec, t_rec, loss=loss, truncate_teacher=False)
    model = distill(student, teacher, s_rec, t_rec, loss=loss)
    truncated = distill_losses(model, batch)
    for key, value in distill_losses(whole, batch).items():
        torch.testing.assert_close(truncated[key], value, rtol=0, atol=0)
    optim = OptimWrapper(
        torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                        lr=0.01))
    for _ in range(2):
        log_vars = model.train_step(copy.copy(batch), optim)
        assert torch.isfinite(log_vars['loss']), log_vars


@pytest.mark.parametrize('stage', [0, 1])
def test_ocrnet_teacher_runs_its_decode_heads_up_to_the_recorded_one(stage):
    model = distill('pspnet', 'ocrnet', 'decode_head.conv_seg',
                    f'decode_head.{stage}.conv_seg')
    ran = calls_of(model.teacher, ['decode_head.0', 'decode_head.1'])
    step(model, seg_batch())
    assert ran == [f'decode_head.{i}' for i in range(stage + 1)]
    if stage == 1:  # what the cascade's own forward gives
        data = model.data_preprocessor(seg_batch(), True)
        with torch.no_grad():
            whole = model.teacher(data['inputs'], mode='tensor')
        torch.testing.assert_close(
            model.distiller.get_record('t', False), whole, rtol=0, atol=0)
