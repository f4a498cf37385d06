"""Stronger teachers of other families: query-based segmentors (Mask2Former,
MaskFormer) and DETR-family detectors (DINO, Deformable DETR, DETR) into
CNN students, with tiny real models built from the zoo configs and the
distillers of the shipped configs."""
import copy
import glob
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from dist_mm.algorithms import build_teacher_pass
from dist_mm.algorithms.teacher_passes import (DetectionTransformerTeacherPass,
                                               MaskClassificationTeacherPass)
from dist_mm.connectors import (ChannelsFirstConnector,
                                MaskClassificationLogits,
                                semantic_probabilities)
from dist_mm.losses import DISTLogitLoss
from dist_mm.testing import (DEFORMABLE_DETR, DEFORMABLE_DETR_TWO_STAGE, DETR,
                             DINO, MASKFORMER, det_batch, seg_batch,
                             tiny_detr_family, tiny_faster_rcnn, tiny_pspnet,
                             tiny_query_segmentor, tiny_retinanet)
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmrazor.registry import MODELS

from tests.helpers import calls_of
from .reference import dist_loss

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASES = osp.join(ROOT, 'configs', '_base_')
SEG_SIZE = (64, 128)


def build(cfg):
    """The model of ``cfg``, initialised: DETR-family detectors allocate
    some parameters uninitialised (``level_embed``) until
    ``init_weights``, as the Runner calls it."""
    torch.manual_seed(0)
    # (mmdet's DETR-family detectors write into their config dict)
    model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    return model.eval()


def preprocessed(model, batch):
    return model.data_preprocessor(copy.copy(batch), True)


def distill_losses(model, batch):
    torch.manual_seed(0)
    data = preprocessed(model, batch)
    losses = model.loss(data['inputs'], data['data_samples'])
    return {k: v.detach() for k, v in losses.items() if 'distill' in k}


def trains_and_truncation_changes_no_loss(cfg, batch):
    """Two training steps with finite losses, and the truncated teacher
    pass gives exactly the whole pass's distillation losses."""
    whole = build(dict(cfg, truncate_teacher=False)).train()
    model = build(cfg).train()
    truncated = distill_losses(model, batch)
    expected = distill_losses(whole, batch)
    assert truncated.keys() == expected.keys() and len(expected) > 1
    for key, value in expected.items():
        torch.testing.assert_close(truncated[key], value, rtol=0, atol=0)
    optim = OptimWrapper(
        torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                        lr=0.01))
    for _ in range(2):
        log_vars = model.train_step(copy.copy(batch), optim)
        assert torch.isfinite(log_vars['loss']), log_vars
        assert all(
            torch.isfinite(v) for k, v in log_vars.items() if 'distill' in k)
    return model


# --- query-based segmentation teachers -------------------------------------


def mask2former_distiller(name='m2f_distplus_distiller',
                          dims=32,
                          student_channels=64):
    """A distiller of the shipped Mask2Former fragment (DIST+ by default),
    at the tiny widths."""
    base = Config.fromfile(
        osp.join(BASES, 'mask2former_teacher_cityscapes.py'))
    distiller = copy.deepcopy(base[name].to_dict())
    distiller['connectors']['feat_s'].update(
        in_channel=student_channels, out_channel=dims)
    return distiller


def query_distill(teacher=None, **kwargs):
    return dict(
        type='DISTPlusDistill',
        architecture=kwargs.pop('architecture', tiny_pspnet(width=8)),
        teacher=teacher or tiny_query_segmentor(),
        distiller=kwargs.pop('distiller', mask2former_distiller()),
        **kwargs)


@pytest.mark.parametrize('path', ['mask2former', MASKFORMER])
def test_query_segmentors_get_the_mask_classification_pass(path):
    teacher = build(tiny_query_segmentor() if path ==
                    'mask2former' else tiny_query_segmentor(path))
    assert type(build_teacher_pass(teacher)) is MaskClassificationTeacherPass


def test_mask2former_target_is_mmseg_semantic_inference():
    """The dense target is mmseg's own semantic inference of the teacher on
    the same input (``Mask2FormerHead.predict`` at the masks' resolution,
    before upsampling to the image), renormalised; at the student's stride
    it is mmseg's inference at that size."""
    teacher = build(tiny_query_segmentor())
    inputs = preprocessed(teacher, seg_batch(2, SEG_SIZE))['inputs']
    with torch.no_grad():
        outputs = build_teacher_pass(teacher, {'decode_head'})(inputs, {})[0]
        feats = teacher.extract_feat(inputs)
        for scale in (1.0, 0.5):
            size = [int(s * scale / 4) for s in SEG_SIZE]
            mmseg = teacher.decode_head.predict(feats,
                                                [dict(pad_shape=size)] * 2,
                                                teacher.test_cfg)
            if scale == 1:
                torch.testing.assert_close(
                    semantic_probabilities(outputs[0][-1], outputs[1][-1]),
                    mmseg)
            target = MaskClassificationLogits(scale_factor=scale)(outputs)
            assert target.shape == (2, 19, *size)
            # its softmax: the distribution; at tau 4, tempered
            for tau in (1.0, 4.0):
                tempered = mmseg**(1 / tau)
                torch.testing.assert_close(
                    (target / tau).softmax(1),
                    tempered / tempered.sum(1, keepdim=True))


def test_semantic_probabilities_hand_computed():
    # one pixel, two queries over two classes and "no object": query 0
    # (1/3, 1/3 | 1/3) with mask logit 0, query 1 (1/2, 1/4 | 1/4) with
    # mask logit 1
    cls = torch.tensor([[[1 / 3, 1 / 3, 1 / 3], [1 / 2, 1 / 4, 1 / 4]]]).log()
    masks = torch.tensor([[[[0.]], [[1.]]]])
    s1 = 1 / (1 + torch.exp(torch.tensor(-1.)))
    expected = torch.stack([1 / 6 + s1 / 2, 1 / 6 + s1 / 4])
    got = semantic_probabilities(cls, masks)
    torch.testing.assert_close(got.flatten(), expected)
    # as logits: the log of the renormalised distribution
    logits = MaskClassificationLogits()(([cls], [masks]))
    torch.testing.assert_close(logits.flatten(),
                               (expected / expected.sum()).log())


def test_mask_classification_logits_gradients():
    torch.manual_seed(0)
    cls = torch.randn(1, 3, 4, dtype=torch.float64, requires_grad=True)
    masks = torch.randn(1, 3, 2, 2, dtype=torch.float64, requires_grad=True)

    def target(cls, masks):
        probs = F.softmax(cls, -1)[..., :-1]
        p = torch.einsum('nqc,nqhw->nchw', probs, masks.sigmoid())
        return (p / p.sum(1, keepdim=True)).log()

    connector = MaskClassificationLogits()
    torch.testing.assert_close(
        connector(([cls.float()], [masks.float()])),
        target(cls, masks).float())
    assert torch.autograd.gradcheck(lambda c, m: connector(([c], [m])),
                                    (cls, masks))


def test_class_mask_logits_three_ways():
    """``target='mask_logits'``: against a per-class loop, by hand, and on
    its gradients."""
    # by hand: one pixel, query 0 (1/3, 1/3 | 1/3) with mask logit 0, query
    # 1 (1/2, 1/4 | 1/4) with mask logit 1: class 0 weighs the queries
    # 1/3 : 1/2, class 1 1/3 : 1/4
    cls = torch.tensor([[[1 / 3, 1 / 3, 1 / 3], [1 / 2, 1 / 4, 1 / 4]]]).log()
    masks = torch.tensor([[[[0.]], [[1.]]]])
    connector = MaskClassificationLogits(target='mask_logits')
    torch.testing.assert_close(
        connector(([cls], [masks])).flatten(),
        torch.tensor([(1 / 2) / (1 / 3 + 1 / 2), (1 / 4) / (1 / 3 + 1 / 4)]))
    # an independent loop
    torch.manual_seed(0)
    cls = torch.randn(2, 5, 4, dtype=torch.float64, requires_grad=True)
    masks = torch.randn(2, 5, 3, 3, dtype=torch.float64, requires_grad=True)
    probs = cls.detach().softmax(-1)[..., :-1]
    expected = torch.zeros(2, 3, 3, 3, dtype=torch.float64)
    for n in range(2):
        for c in range(3):
            for q in range(5):
                expected[n, c] += probs[n, q, c] / probs[n, :, c].sum() * \
                    masks.detach()[n, q]
    torch.testing.assert_close(connector(([cls], [masks])), expected)
    assert torch.autograd.gradcheck(lambda c, m: connector(([c], [m])),
                                    (cls, masks))
    with pytest.raises(ValueError, match="'probabilities' or 'mask_logits'"):
        MaskClassificationLogits(target='logits')


@pytest.mark.parametrize(
    'path',
    sorted(
        glob.glob(osp.join(ROOT, 'configs', '*', 'dist*_mask2former_*.py'))))
def test_shipped_mask2former_configs_distil_class_mask_logits(path):
    """The DIST target of the shipped Mask2Former configs is the class mask
    logits (the mixture taught less than a weaker CNN teacher on the
    demo: docs/en/user_guides/teacher_strength.md)."""
    distiller = Config.fromfile(path).model.distiller
    targets = {
        mapping.preds_T.connector
        for name, mapping in distiller.loss_forward_mappings.items()
        if distiller.distill_losses[name].type == 'DISTLogitLoss'
    }
    assert targets == {'t_logits'}
    assert distiller.connectors.t_logits.type == 'MaskClassificationLogits'
    assert distiller.connectors.t_logits.target == 'mask_logits'


def test_query_teacher_runs_only_what_is_read():
    teacher = build(tiny_query_segmentor())
    inputs = preprocessed(teacher, seg_batch(2, SEG_SIZE))['inputs']
    parts = [
        'backbone', 'decode_head.pixel_decoder',
        'decode_head.transformer_decoder.layers.0'
    ]
    for sources, expected in [({'backbone.layer4'}, parts[:1]),
                              ({'decode_head.pixel_decoder'}, parts[:2]),
                              ({'decode_head.pixel_decoder.mask_feature'},
                               parts[:2]), ({'decode_head'}, parts),
                              (None, parts)]:
        pass_ = build_teacher_pass(teacher, sources)
        ran = calls_of(pass_.teacher, parts)
        with torch.no_grad():
            pass_(inputs, {})
        assert sorted(set(ran)) == sorted(expected), sources
        for module in teacher.modules():
            module._forward_hooks.clear()


@pytest.mark.parametrize('path', ['mask2former', MASKFORMER])
def test_query_teacher_distplus_trains_and_truncation_changes_no_loss(path):
    teacher = tiny_query_segmentor() if path == 'mask2former' else \
        tiny_query_segmentor(path)
    distiller = mask2former_distiller()
    if path == MASKFORMER:
        # its pixel decoder returns (mask features, the backbone's last map)
        distiller['loss_forward_mappings']['loss_dist_feat']['preds_T'] = \
            dict(from_student=False, recorder='pixel', data_idx=1)
        distiller['connectors']['feat_s']['out_channel'] = 64
    trains_and_truncation_changes_no_loss(
        query_distill(teacher, distiller=distiller), seg_batch(2, SEG_SIZE))


def test_query_teacher_refusals_say_what_to_change():
    with pytest.raises(ValueError, match='cannot be acclimated: a query'):
        MODELS.build(
            query_distill(acclimated_modules=['decode_head.cls_embed']))
    for source, message in [
        ('decode_head.transformer_decoder', 'never the decoder module'),
        ('decode_head.loss_cls', 'its loss modules never run'),
    ]:
        distiller = mask2former_distiller()
        distiller['teacher_recorders']['masks'] = dict(
            type='ModuleOutputs', source=source)
        with pytest.raises(ValueError, match=message):
            MODELS.build(query_distill(distiller=distiller))
    with pytest.raises(ValueError, match='teacher predicts 19 classes but'):
        MODELS.build(
            query_distill(
                tiny_query_segmentor(num_classes=19),
                architecture=tiny_pspnet(num_classes=3)))
    with pytest.raises(ValueError, match="source='decode_head'"):
        MaskClassificationLogits()(torch.zeros(1, 19, 4, 4))


# --- DETR-family detection teachers -----------------------------------------


def detr_teacher(path=DINO):
    return tiny_detr_family(path)


@pytest.mark.parametrize(
    'path', [DINO, DEFORMABLE_DETR, DEFORMABLE_DETR_TWO_STAGE, DETR])
def test_detr_family_gets_its_pass(path):
    teacher = build(detr_teacher(path))
    assert type(build_teacher_pass(teacher)) is \
        DetectionTransformerTeacherPass


def padded_batch():
    """Two images of a batch, the second smaller and padded."""
    batch = det_batch(2, size=64, num_classes=3)
    sample = batch['data_samples'][1]
    batch['inputs'][1] = batch['inputs'][1][:, :48, :40]
    sample.set_metainfo(dict(img_shape=(48, 40), ori_shape=(48, 40)))
    sample.gt_instances.bboxes = sample.gt_instances.bboxes * 0.6
    return batch


@pytest.mark.parametrize('path', [DINO, DEFORMABLE_DETR_TWO_STAGE])
def test_dense_scores_are_the_two_stage_encoders_own(path):
    """The per-level scores equal what mmdet's own ``pre_decoder`` feeds
    its classifier, padding masks included."""
    teacher = build(detr_teacher(path))
    data = preprocessed(teacher, padded_batch())
    metas = [s.metainfo for s in data['data_samples']]
    classifier = teacher.bbox_head.cls_branches[teacher.decoder.num_layers]
    seen = []
    hook = classifier.register_forward_hook(lambda m, i, o: seen.append(o))
    with torch.no_grad():
        teacher.forward_transformer(
            teacher.extract_feat(data['inputs']), data['data_samples'])
        mmdet = seen[0]
        seen.clear()
        name = f'bbox_head.cls_branches.{teacher.decoder.num_layers}'
        build_teacher_pass(teacher, {name})(data['inputs'], {}, metas)
    hook.remove()
    levels = len(teacher.neck.convs) + len(teacher.neck.extra_convs or [])
    assert len(seen) == levels and mmdet.shape[-1] == 3
    # (float rounding: one matmul per level instead of one for all)
    torch.testing.assert_close(
        torch.cat([s.flatten(1, 2) for s in seen], 1), mmdet)
    maps = [ChannelsFirstConnector()(s) for s in seen]
    feats = teacher.extract_feat(data['inputs'])
    assert [m.shape for m in maps] == [(2, 3, *f.shape[-2:]) for f in feats]


def test_detr_teacher_runs_only_what_is_read():
    teacher = build(detr_teacher(DINO))
    inputs = preprocessed(teacher, det_batch(2, size=64))['inputs']
    parts = ['neck', 'encoder', 'decoder', 'bbox_head.cls_branches.2']
    for sources, expected in [({'neck'}, parts[:1]), ({'encoder'}, parts[:2]),
                              ({'bbox_head.cls_branches.2'},
                               parts[:2] + parts[3:]),
                              (None, parts[:2] + parts[3:])]:
        pass_ = build_teacher_pass(teacher, sources)
        ran = calls_of(teacher, parts)
        with torch.no_grad():
            pass_(inputs, {})
        assert sorted(set(ran)) == sorted(expected), sources
        for module in teacher.modules():
            module._forward_hooks.clear()


def detr_distill(teacher=None, student=None, **kwargs):
    """DINO (4 levels, strides 8-64) -> a P3-P7 student: the shipped
    configs' recorders, connectors and losses at the tiny widths."""
    base = Config.fromfile(osp.join(BASES, 'dino_teacher_coco.py'))
    pairs = [(0, 0), (1, 1), (2, 2), (3, 3)]  # strides 8-64
    student = student or tiny_retinanet(width=8)
    connectors = dict(base.dino_connectors.to_dict())
    losses, mappings = {}, {}
    for t, s in pairs:
        connectors[f's_fpn{s}'] = dict(
            type='ConvModuleConnector',
            in_channel=16,
            out_channel=256,
            kernel_size=1,
            norm_cfg=None,
            act_cfg=None)
        losses[f'loss_fpn{s}'] = dict(type='DISTFeatureLoss')
        mappings[f'loss_fpn{s}'] = dict(
            preds_S=dict(
                from_student=True,
                recorder='fpn',
                data_idx=s,
                connector=f's_fpn{s}'),
            preds_T=dict(from_student=False, recorder='neck', data_idx=t))
        if 'cls' in kwargs.get('student_recorders', {'cls': 0}):
            losses[f'loss_dist_cls{s}'] = base.dino_p3_logit_losses[
                'loss_dist_cls0'].to_dict()
            mappings[f'loss_dist_cls{s}'] = dict(
                preds_S=dict(from_student=True, recorder='cls', record_idx=s),
                preds_T=dict(
                    from_student=False,
                    recorder='scores',
                    record_idx=t,
                    connector='t_scores'))
    student_recorders = kwargs.pop(
        'student_recorders',
        dict(
            cls=dict(type='ModuleOutputs', source='bbox_head.retina_cls'),
            fpn=dict(type='ModuleOutputs', source='neck')))
    teacher_recorders = dict(
        neck=base.dino_recorders.neck.to_dict(),
        scores=dict(type='ModuleOutputs', source='bbox_head.cls_branches.2'))
    return dict(
        type='DISTPlusDistill',
        architecture=student,
        teacher=teacher or detr_teacher(DINO),
        distiller=dict(
            type='ConfigurableDistiller',
            student_recorders=student_recorders,
            teacher_recorders=kwargs.pop('teacher_recorders',
                                         teacher_recorders),
            connectors=connectors,
            distill_losses=losses,
            loss_forward_mappings=mappings),
        **kwargs)


def test_dino_into_retinanet_trains_and_truncation_changes_no_loss():
    model = trains_and_truncation_changes_no_loss(detr_distill(),
                                                  padded_batch())
    assert model.distiller.distill_losses['loss_dist_cls0'] \
        .anchor_classes == 3


def test_dino_distplus_reads_the_encoder_memory():
    """The DIST+ feature relations of a P3-P7 student read the encoder
    memory of each level (the input of the classifier that scores it), not
    the neck: they train, the truncated pass gives the whole teacher's
    losses, and the memory is what the scores are computed from."""
    shipped = Config.fromfile(osp.join(
        BASES, 'dino_teacher_coco.py')).dino_p3_distiller
    assert shipped.teacher_recorders.memory == dict(
        type='ModuleInputs', source='bbox_head.cls_branches.6')
    assert {
        m.preds_T.recorder
        for k, m in shipped.loss_forward_mappings.items()
        if k.startswith('loss_fpn')
    } == {'memory'}
    # the same at the tiny DINO's widths (its classifier: cls_branches.2)
    cfg = detr_distill()
    distiller = cfg['distiller']
    distiller['teacher_recorders'] = dict(
        scores=distiller['teacher_recorders']['scores'],
        memory=dict(type='ModuleInputs', source='bbox_head.cls_branches.2'))
    for level in range(4):
        distiller['connectors'][f't_memory{level}'] = dict(
            type='ChannelsFirstConnector')
        distiller['loss_forward_mappings'][f'loss_fpn{level}']['preds_T'] = \
            dict(
                from_student=False,
                recorder='memory',
                record_idx=level,
                data_idx=0,
                connector=f't_memory{level}')
    model = trains_and_truncation_changes_no_loss(cfg, padded_batch())
    # one [B, H, W, 256] map per level, which the classifier turns into
    # exactly the recorded scores
    recorders = model.distiller.teacher_recorders.recorders
    memory = [m[0] for m in recorders['memory'].data_buffer]
    scores = recorders['scores'].data_buffer
    assert len(memory) == len(scores) == 4
    classifier = model.teacher.bbox_head.cls_branches[2]
    for m, score in zip(memory, scores):
        assert m.ndim == 4 and m.shape[-1] == 256
        torch.testing.assert_close(classifier(m), score)


def test_dino_encoder_classifier_acclimates_with_the_students_anchors():
    """DIST+ acclimation of a two-stage DETR teacher, as the shipped
    RetinaNet config does it: its encoder classifier (and nothing else of
    the teacher) trains against the student's per-anchor labels; the
    decoder's classifiers stay refused; two training steps, and the
    truncated pass gives the whole teacher's losses."""
    base = Config.fromfile(osp.join(BASES, 'dino_teacher_coco.py'))
    shipped = Config.fromfile(
        osp.join(ROOT, 'configs', 'retinanet',
                 'distplus_dino-5scale_swin-l_retinanet_r50-fpn_2x_coco.py'))
    assert shipped.model.acclimated_modules == ['bbox_head.cls_branches.6']
    assert shipped.model.distiller.student_recorders.anchor_targets == \
        base.dino_anchor_targets
    assert shipped.model.distiller.loss_forward_mappings[
        'loss_acclimation0'].preds_T.recorder == 'scores'
    # its logit relations at half weight, the DIST config's at full
    dist = Config.fromfile(
        osp.join(ROOT, 'configs', 'retinanet',
                 'dist_dino-5scale_swin-l_retinanet_r50-fpn_2x_coco.py'))
    for cfg, weight in ((shipped, 0.5), (dist, 1.0)):
        assert {
            name: loss.loss_weight
            for name, loss in cfg.model.distiller.distill_losses.items()
            if loss.type == 'DISTLogitLoss'
        } == {
            f'loss_dist_cls{s}': weight
            for s in range(4)
        }
    # the same at the tiny DINO's widths (its classifier: cls_branches.2;
    # its level i meets the student's level i)
    cfg = detr_distill(acclimated_modules=['bbox_head.cls_branches.2'])
    distiller = cfg['distiller']
    distiller['student_recorders']['anchor_targets'] = \
        base.dino_anchor_targets.to_dict()
    for level in range(4):
        name = f'loss_acclimation{level}'
        distiller['distill_losses'][name] = \
            base.dino_p3_acclimation_losses[name].to_dict()
        mapping = base.dino_p3_acclimation_mappings[name].to_dict()
        mapping['preds_T']['record_idx'] = level
        distiller['loss_forward_mappings'][name] = mapping
    before = {k: v.clone() for k, v in build(cfg).teacher.state_dict().items()}
    model = trains_and_truncation_changes_no_loss(cfg, padded_batch())
    assert model.distiller.distill_losses['loss_acclimation0'] \
        .anchor_classes == 3
    changed = {
        k
        for k, v in model.teacher.state_dict().items()
        if not torch.equal(v, before[k])
    }
    assert changed == {
        'bbox_head.cls_branches.2.weight', 'bbox_head.cls_branches.2.bias'
    }
    with pytest.raises(ValueError, match='only a two-stage teacher'):
        MODELS.build(
            detr_distill(acclimated_modules=[
                'bbox_head.cls_branches.2', 'bbox_head.cls_branches.1'
            ]))


def test_dino_into_fcos_trains():
    from mmengine.hub import get_config
    fcos = copy.deepcopy(
        get_config('mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py').model)
    fcos.backbone.update(
        depth=18,
        base_channels=8,
        init_cfg=None,
        frozen_stages=-1,
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=True))
    fcos.neck.update(in_channels=[8, 16, 32, 64], out_channels=16)
    fcos.bbox_head.update(
        in_channels=16,
        feat_channels=16,
        num_classes=3,
        norm_cfg=dict(type='GN', num_groups=4, requires_grad=True))
    # the teacher's normalisation (see the shipped FCOS config)
    fcos.data_preprocessor.update(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True)
    fcos._scope_ = 'mmdet'
    recorders = dict(
        cls=dict(type='ModuleOutputs', source='bbox_head.conv_cls'),
        fpn=dict(type='ModuleOutputs', source='neck'))
    trains_and_truncation_changes_no_loss(
        detr_distill(student=fcos, student_recorders=recorders),
        det_batch(2, size=64))
    # the zoo's caffe-style FCOS reads BGR images of another scale
    fcos.data_preprocessor.update(
        mean=[102.9801, 115.9465, 122.7717],
        std=[1., 1., 1.],
        bgr_to_rgb=False)
    with pytest.raises(ValueError, match='normalise images differently'):
        MODELS.build(detr_distill(student=fcos, student_recorders=recorders))


def test_dino_into_faster_rcnn_features_only_trains():
    """A P2-P6 student: its P3-P6 meet DINO-4scale's levels."""
    cfg = detr_distill(
        student=tiny_faster_rcnn(width=8),
        student_recorders=dict(fpn=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(neck=dict(type='ModuleOutputs', source='neck')))
    for loss in cfg['distiller']['loss_forward_mappings'].values():
        loss['preds_S']['data_idx'] += 1  # P3 is the student's level 1
    model = trains_and_truncation_changes_no_loss(cfg, det_batch(2, size=64))
    ran = calls_of(model.teacher, ['encoder', 'decoder'])
    distill_losses(model, det_batch(2, size=64))
    assert ran == []  # only backbone and neck for features


def test_detr_family_refusals_name_what_is_supported():
    with pytest.raises(
            ValueError,
            match=r"\['decoder.layers.0'\].*backbone, "
            r'neck, encoder; bbox_head.cls_branches.2'):
        MODELS.build(
            detr_distill(
                teacher_recorders=dict(
                    neck=dict(type='ModuleOutputs', source='decoder.layers.0'),
                    scores=dict(
                        type='ModuleOutputs',
                        source='bbox_head.cls_branches.2'))))
    with pytest.raises(ValueError, match='is not two-stage'):
        MODELS.build(
            detr_distill(
                teacher=detr_teacher(DEFORMABLE_DETR),
                teacher_recorders=dict(
                    neck=dict(type='ModuleOutputs', source='neck'),
                    scores=dict(
                        type='ModuleOutputs',
                        source='bbox_head.cls_branches.1'))))
    with pytest.raises(ValueError, match='cannot be acclimated: a DETR'):
        MODELS.build(detr_distill(acclimated_modules=['bbox_head']))


def test_anchor_student_against_per_position_scores():
    """Anchor-aware DIST with a teacher of one score vector per position:
    each anchor's target is its position's scores (against the reference
    with the teacher repeated per anchor, anchor-major as mmdet's)."""
    torch.manual_seed(0)
    student = torch.randn(2, 3 * 4, 5, 6, requires_grad=True)
    teacher = torch.randn(2, 4, 5, 6)
    loss = DISTLogitLoss(
        activation='sigmoid',
        anchor_classes=4,
        spread_floor=0,
        teacher_flat_rtol=0)
    value = loss(student, teacher)
    expected = dist_loss(
        student, teacher.repeat(1, 3, 1, 1), act='sigmoid', num_classes=4)
    torch.testing.assert_close(value, expected)
    grad, = torch.autograd.grad(value, student)
    ref, = torch.autograd.grad(expected, student)
    torch.testing.assert_close(grad, ref)
    with pytest.raises(ValueError, match="set anchor_classes='num_classes'"):
        DISTLogitLoss(activation='sigmoid')(student, teacher)
