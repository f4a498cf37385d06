"""DISTPlusDistill configs for the tiny real model pairs used in tests."""
from dist_mm.testing import (det_batch, seg_batch, tiny_faster_rcnn,
                             tiny_pspnet, tiny_retinanet)


def rec(source, **kwargs):
    return dict(type='ModuleOutputs', source=source, **kwargs)


def pair(s, t, **extra):
    """loss_forward_mappings entry: student and teacher recorder names."""
    return dict(
        preds_S=dict(from_student=True, recorder=s),
        preds_T=dict(from_student=False, recorder=t),
        **extra)


def faster_rcnn(acclimate=True, **student):
    fpn = {f'fpn{i}': rec(f'neck.fpn_convs.{i}.conv') for i in range(4)}
    recorders = dict(cls=rec('roi_head.bbox_head.fc_cls'), **fpn)
    losses = dict(loss_cls=dict(type='DISTLogitLoss'))
    maps = dict(loss_cls=pair('cls', 'cls'))
    for i in range(4):
        losses[f'loss_fpn{i}'] = dict(type='DISTFeatureLoss')
        maps[f'loss_fpn{i}'] = pair(f'fpn{i}', f'fpn{i}')
    student_recorders = dict(recorders)
    if acclimate:
        student_recorders['labels'] = dict(
            type='MethodOutputs',
            source='mmdet.models.roi_heads.bbox_heads.bbox_head.BBoxHead.'
            'get_targets')
        losses['loss_ta'] = dict(type='TeacherAcclimationLoss')
        maps['loss_ta'] = dict(
            preds_T=dict(from_student=False, recorder='cls'),
            preds_S=dict(from_student=True, recorder='cls'),
            target=dict(from_student=True, recorder='labels', data_idx=0))
    return dict(
        type='DISTPlusDistill',
        architecture=tiny_faster_rcnn(width=8, **student),
        teacher=tiny_faster_rcnn(width=16),
        acclimated_modules=['backbone.layer4', 'roi_head.bbox_head.fc_cls']
        if acclimate else [],
        distiller=dict(
            type='ConfigurableDistiller',
            student_recorders=student_recorders,
            teacher_recorders=recorders,
            distill_losses=losses,
            loss_forward_mappings=maps))


def retinanet(acclimate=False):
    """One recorder of ``retina_cls`` holds the 5 FPN levels' logits
    (record_idx 0..4); one sigmoid DIST loss per level, and with
    ``acclimate`` one anchor-aware acclimation loss per level (targets: the
    student's per-anchor labels, as in the DIST+ RetinaNet config)."""
    recorders = dict(
        cls=rec('bbox_head.retina_cls'),
        **{f'fpn{i}': rec(f'neck.fpn_convs.{i}.conv')
           for i in range(3)})
    student_recorders = dict(recorders)
    losses, maps = {}, {}
    if acclimate:
        student_recorders['anchor_targets'] = dict(
            type='MethodOutputs',
            source='mmdet.models.dense_heads.anchor_head.AnchorHead.'
            'get_targets')
        for i in range(5):
            losses[f'loss_ta{i}'] = dict(
                type='TeacherAcclimationLoss',
                activation='sigmoid',
                anchor_classes='num_classes')  # the student's: 3
            maps[f'loss_ta{i}'] = dict(
                preds_T=dict(from_student=False, recorder='cls', record_idx=i),
                preds_S=dict(from_student=True, recorder='cls', record_idx=i),
                target=dict(
                    from_student=True,
                    recorder='anchor_targets',
                    data_idx=0,
                    connector_idx=i))
    for i in range(5):
        losses[f'loss_cls{i}'] = dict(
            type='DISTLogitLoss', activation='sigmoid')
        maps[f'loss_cls{i}'] = dict(
            preds_S=dict(from_student=True, recorder='cls', record_idx=i),
            preds_T=dict(from_student=False, recorder='cls', record_idx=i))
    for i in range(3):
        losses[f'loss_fpn{i}'] = dict(type='DISTFeatureLoss')
        maps[f'loss_fpn{i}'] = pair(f'fpn{i}', f'fpn{i}')
    return dict(
        type='DISTPlusDistill',
        architecture=tiny_retinanet(width=8),
        teacher=tiny_retinanet(width=16),
        acclimated_modules=['bbox_head.retina_cls'] if acclimate else [],
        distiller=dict(
            type='ConfigurableDistiller',
            student_recorders=student_recorders,
            teacher_recorders=dict(recorders),
            distill_losses=losses,
            loss_forward_mappings=maps))


def pspnet():
    logits = dict(
        logits=rec('decode_head.conv_seg'),
        aux=rec('auxiliary_head.conv_seg'),
        feat=rec('backbone.layer4'))
    gt = dict(
        type='MethodOutputs',
        source='mmseg.models.decode_heads.decode_head.BaseDecodeHead.'
        '_stack_batch_gt')
    target = dict(from_student=True, recorder='gt')
    return dict(
        type='DISTPlusDistill',
        architecture=tiny_pspnet(width=8),
        teacher=tiny_pspnet(width=16),
        acclimated_modules=['backbone.layer4', 'decode_head.conv_seg'],
        distiller=dict(
            type='ConfigurableDistiller',
            student_recorders=dict(gt=gt, **logits),
            teacher_recorders=dict(logits),
            connectors=dict(
                s_feat=dict(
                    type='ConvModuleConnector',
                    in_channel=64,
                    out_channel=128,
                    kernel_size=1,
                    norm_cfg=None,
                    act_cfg=None)),
            distill_losses=dict(
                loss_logits=dict(type='DISTLogitLoss'),
                loss_aux=dict(type='DISTLogitLoss', loss_weight=0.4),
                loss_feat=dict(type='DISTFeatureLoss'),
                loss_ta=dict(type='TeacherAcclimationLoss')),
            loss_forward_mappings=dict(
                loss_logits=pair('logits', 'logits', gt_labels=target),
                loss_aux=pair('aux', 'aux', gt_labels=target),
                loss_feat=dict(
                    preds_S=dict(
                        from_student=True, recorder='feat',
                        connector='s_feat'),
                    preds_T=dict(from_student=False, recorder='feat')),
                loss_ta=dict(
                    preds_T=dict(from_student=False, recorder='logits'),
                    preds_S=dict(from_student=True, recorder='logits'),
                    target=target))))


PAIRS = dict(
    faster_rcnn=(faster_rcnn, det_batch),
    retinanet=(retinanet, det_batch),
    pspnet=(pspnet, seg_batch))
