# The distillers of the COCO CNN pairs (Faster R-CNN and RetinaNet students,
# configs/faster-rcnn and configs/retinanet), with the teachers' zoo configs
# and checkpoints, so that each shipped config inherits only its student's
# mmdet:: config and this file. Only frcnn_* / retina_* / coco_* names (and
# the fpn_* names of fpn_distillation.py), so it can sit beside a real base
# config.
_base_ = ['./fpn_distillation.py']

# --- Faster R-CNN -----------------------------------------------------------
frcnn_r101_cfg = 'mmdet::faster_rcnn/faster-rcnn_r101_fpn_2x_coco.py'
frcnn_r101_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r101_fpn_2x_coco/faster_rcnn_r101_fpn_2x_coco_bbox_mAP-0.398_20200504_210455-1d2dac9c.pth'  # noqa: E501
frcnn_cascade_cfg = 'mmdet::cascade_rcnn/cascade-mask-rcnn_x101-64x4d_fpn_20e_coco.py'  # noqa: E501
frcnn_cascade_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/cascade_rcnn/cascade_mask_rcnn_x101_64x4d_fpn_20e_coco/cascade_mask_rcnn_x101_64x4d_fpn_20e_coco_20200512_161033-bdb5126a.pth'  # noqa: E501
# DIST: the teacher's RoI head scores the student's sampled RoIs and DIST
# relates the [num_rois, 81] RoI class logits (softmax, tau = 1).
frcnn_dist_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(
        rcnn_cls=dict(
            type='ModuleOutputs', source='roi_head.bbox_head.fc_cls')),
    teacher_recorders=dict(
        rcnn_cls=dict(
            type='ModuleOutputs', source='roi_head.bbox_head.fc_cls')),
    distill_losses=dict(
        loss_dist_rcnn=dict(
            type='DISTLogitLoss',
            inter_weight=1.0,
            intra_weight=1.0,
            tau=1.0,
            loss_weight=1.0)),
    loss_forward_mappings=dict(
        loss_dist_rcnn=dict(
            preds_S=dict(from_student=True, recorder='rcnn_cls'),
            preds_T=dict(from_student=False, recorder='rcnn_cls'))))
# DIST+: and the channel / spatial relations on the five FPN outputs, and
# acclimation of the teacher's RoI classification head (shared FCs and
# fc_cls; fc_reg would get no gradient, and DDP needs every acclimated
# parameter to get one), trained only by the non-target relation loss on the
# student's sampled RoIs and their assigned labels.
frcnn_distplus_distiller = dict(
    frcnn_dist_distiller,
    student_recorders=dict(
        frcnn_dist_distiller['student_recorders'],
        **_base_.fpn_recorders,
        # labels of the sampled RoIs (first output of get_targets)
        rcnn_targets=dict(
            type='MethodOutputs',
            source='mmdet.models.roi_heads.bbox_heads.bbox_head.'
            'BBoxHead.get_targets')),
    teacher_recorders=dict(frcnn_dist_distiller['teacher_recorders'],
                           **_base_.fpn_recorders),
    connectors=_base_.fpn_connectors,
    distill_losses=dict(
        frcnn_dist_distiller['distill_losses'],
        loss_acclimation=dict(type='TeacherAcclimationLoss', loss_weight=1.0),
        **_base_.fpn_relation_losses),
    loss_forward_mappings=dict(
        frcnn_dist_distiller['loss_forward_mappings'],
        loss_acclimation=dict(
            preds_T=dict(from_student=False, recorder='rcnn_cls'),
            preds_S=dict(from_student=True, recorder='rcnn_cls'),
            target=dict(
                from_student=True, recorder='rcnn_targets', data_idx=0)),
        **_base_.fpn_relation_mappings))
frcnn_acclimated_modules = [
    'roi_head.bbox_head.shared_fcs', 'roi_head.bbox_head.fc_cls'
]
# The Cascade teacher scores the student's RoIs with its first stage, as the
# DIST authors do (their MasKD configs cut the cascade to num_stages=1): the
# later stages were trained on boxes refined once or twice. The recorded
# stage is the one that runs; the others never do.
frcnn_cascade_rcnn_cls = dict(
    type='ModuleOutputs', source='roi_head.bbox_head.0.fc_cls')
frcnn_cascade_acclimated_modules = [
    'roi_head.bbox_head.0.shared_fcs', 'roi_head.bbox_head.0.fc_cls'
]


def _with_fpn(distiller, fpn):
    """``distiller`` with the FPN-level recorders, connectors, losses and
    mappings of ``fpn`` (a distiller of fpn_distillation.py) added."""
    return dict(
        distiller, **{
            key: dict(distiller.get(key, {}), **fpn[key])
            for key in ('student_recorders', 'teacher_recorders', 'connectors',
                        'distill_losses', 'loss_forward_mappings')
        })


def _cascade(distiller):
    """``distiller`` reading the Cascade teacher's first-stage scores."""
    return dict(
        distiller,
        teacher_recorders=dict(
            distiller['teacher_recorders'], rcnn_cls=frcnn_cascade_rcnn_cls))


def _fpn_weights(distiller, **weights):
    """``distiller`` with ``weights`` set in each FPN-level loss."""
    losses = distiller['distill_losses']
    return dict(
        distiller,
        distill_losses=dict(
            losses, **{
                f'loss_fpn{i}': dict(losses[f'loss_fpn{i}'], **weights)
                for i in range(_base_.fpn_levels)
            }))


# The Cascade teacher's distillers: DIST, DIST+ and the paper's rows: DIST +
# L_cr + L_sr, + L_cr, + L_sr (no acclimation) and DIST + feature mimicking
# (the authors' dist+mimic)
frcnn_cascade_dist_distiller = _cascade(frcnn_dist_distiller)
frcnn_cascade_distplus_distiller = _cascade(frcnn_distplus_distiller)
frcnn_cascade_cr_sr_distiller = _with_fpn(frcnn_cascade_dist_distiller,
                                          _base_.fpn_relation_distiller)
frcnn_cascade_cr_distiller = _fpn_weights(
    frcnn_cascade_cr_sr_distiller, spatial_weight=0.0)
frcnn_cascade_sr_distiller = _fpn_weights(
    frcnn_cascade_cr_sr_distiller, channel_weight=0.0)
frcnn_cascade_mimic_distiller = _with_fpn(frcnn_cascade_dist_distiller,
                                          _base_.fpn_mimic_distiller)

# --- RetinaNet --------------------------------------------------------------
retina_x101_cfg = 'mmdet::retinanet/retinanet_x101-64x4d_fpn_1x_coco.py'
retina_x101_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_x101_64x4d_fpn_1x_coco/retinanet_x101_64x4d_fpn_1x_coco_20200130-366f5af1.pth'  # noqa: E501
# DIST: as in the original DIST code, the A*K = 720 sigmoid outputs of a
# position form the class vector, one DIST loss per FPN level (P3-P7, weight
# 1 each), no foreground masking; retina_cls runs once per level, so record
# i of the recorder is level i. Set anchor_classes='num_classes' in the
# losses for the anchor-aware variant.
retina_dist_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(
        cls=dict(type='ModuleOutputs', source='bbox_head.retina_cls')),
    teacher_recorders=dict(
        cls=dict(type='ModuleOutputs', source='bbox_head.retina_cls')),
    distill_losses={
        f'loss_dist_cls{i}':
        dict(
            type='DISTLogitLoss',
            activation='sigmoid',
            inter_weight=1.0,
            intra_weight=1.0,
            tau=1.0,
            loss_weight=1.0)
        for i in range(_base_.fpn_levels)
    },
    loss_forward_mappings={
        f'loss_dist_cls{i}':
        dict(
            preds_S=dict(from_student=True, recorder='cls', record_idx=i),
            preds_T=dict(from_student=False, recorder='cls', record_idx=i))
        for i in range(_base_.fpn_levels)
    })
# DIST+: and the FPN relations, and acclimation of the teacher's last
# classification conv and retina_cls from the non-target relation of each
# anchor (target: the label the student's assigner gave it; background
# anchors keep all the classes; anchor_classes='num_classes' is the
# student's class count, 80 on COCO, so the config ports as is).
retina_relation_distiller = _with_fpn(retina_dist_distiller,
                                      _base_.fpn_relation_distiller)
retina_distplus_distiller = dict(
    retina_relation_distiller,
    student_recorders=dict(
        retina_relation_distiller['student_recorders'],
        anchor_targets=dict(
            type='MethodOutputs',
            source='mmdet.models.dense_heads.anchor_head.AnchorHead.'
            'get_targets')),
    distill_losses=dict(
        retina_relation_distiller['distill_losses'], **{
            f'loss_acclimation{i}':
            dict(
                type='TeacherAcclimationLoss',
                activation='sigmoid',
                anchor_classes='num_classes',
                loss_weight=1.0)
            for i in range(_base_.fpn_levels)
        }),
    loss_forward_mappings=dict(
        retina_relation_distiller['loss_forward_mappings'],
        **{
            f'loss_acclimation{i}':
            dict(
                preds_T=dict(from_student=False, recorder='cls', record_idx=i),
                preds_S=dict(from_student=True, recorder='cls', record_idx=i),
                # get_targets returns (labels_list, ...): level i's labels
                target=dict(
                    from_student=True,
                    recorder='anchor_targets',
                    data_idx=0,
                    connector_idx=i))
            for i in range(_base_.fpn_levels)
        }))
retina_mimic_distiller = _with_fpn(retina_dist_distiller,
                                   _base_.fpn_mimic_distiller)
retina_acclimated_modules = ['bbox_head.cls_convs.-1', 'bbox_head.retina_cls']

# --- the acclimated teacher (DIST+) -----------------------------------------
# The acclimated teacher parts train at 1/100 of the student's lr and
# without weight decay (dist_mm default), so that acclimation keeps the
# teacher a teacher (docs/en/design_decisions.md).
coco_teacher_paramwise_cfg = dict(
    custom_keys={'teacher.': dict(lr_mult=0.01, decay_mult=0.0)})
# Each validation also evaluates the acclimated teacher as it stands (logged
# as teacher.<metric>); save_best keeps using the student's metrics.
coco_teacher_val_cfg = dict(type='mmrazor.SingleTeacherDistillValLoop')
# Stop if acclimation costs the teacher more than 10 points of accuracy on
# the training batches (see TeacherGuardHook). The batches are sampled RoIs
# (Faster R-CNN), whose mix shifts as the student learns to propose, or
# positive anchors (RetinaNet), whose per-batch accuracy is noisy: a smaller
# drop would stop runs whose teacher's val mAP holds
# (docs/en/user_guides/teacher_health.md).
coco_teacher_guard = [
    dict(type='TeacherGuardHook', max_drop=0.1, window=50, action='stop')
]
