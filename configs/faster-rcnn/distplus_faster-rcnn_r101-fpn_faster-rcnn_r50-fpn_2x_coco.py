# DIST+: DIST on the RoI logits + channel/spatial relations on the five FPN
# outputs (each through a student-side 1x1 conv, as in the paper) + teacher
# acclimation of the teacher's RoI classification head (shared FCs and
# fc_cls), trained only by the non-target relation loss on the student's
# sampled RoIs and their assigned labels.
_base_ = [
    './dist_faster-rcnn_r101-fpn_faster-rcnn_r50-fpn_2x_coco.py',
    '../_base_/fpn_distillation.py',
]

model = dict(
    # shared FCs + classifier: every acclimated parameter gets a gradient
    # from the acclimation loss (fc_reg would not, and DDP needs that)
    acclimated_modules=[
        'roi_head.bbox_head.shared_fcs', 'roi_head.bbox_head.fc_cls'
    ],
    distiller=dict(
        student_recorders=dict(
            **_base_.fpn_recorders,
            # labels of the sampled RoIs (first output of get_targets)
            rcnn_targets=dict(
                type='MethodOutputs',
                source='mmdet.models.roi_heads.bbox_heads.bbox_head.'
                'BBoxHead.get_targets')),
        teacher_recorders=_base_.fpn_recorders,
        connectors=_base_.fpn_connectors,
        distill_losses=dict(
            loss_acclimation=dict(
                type='TeacherAcclimationLoss', loss_weight=1.0),
            **_base_.fpn_relation_losses),
        loss_forward_mappings=dict(
            loss_acclimation=dict(
                preds_T=dict(from_student=False, recorder='rcnn_cls'),
                preds_S=dict(from_student=True, recorder='rcnn_cls'),
                target=dict(
                    from_student=True, recorder='rcnn_targets', data_idx=0)),
            **_base_.fpn_relation_mappings)))

# The acclimated teacher parts train at 1/100 of the student's lr and
# without weight decay (dist_mm default), so that acclimation keeps the
# teacher a teacher (docs/en/design_decisions.md).
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'teacher.': dict(lr_mult=0.01, decay_mult=0.0)}))

# Each validation also evaluates the acclimated teacher as it stands (logged
# as teacher.<metric>); save_best keeps using the student's metrics.
val_cfg = dict(type='mmrazor.SingleTeacherDistillValLoop')
# Stop if acclimation costs the teacher more than 10 points of accuracy on
# the training batches (see TeacherGuardHook). The batches are the student's
# sampled RoIs, whose mix shifts as the student learns to propose, so the
# accuracy on them drops while the teacher's val mAP holds
# (docs/en/user_guides/teacher_health.md).
custom_hooks = [
    dict(type='TeacherGuardHook', max_drop=0.1, window=50, action='stop')
]
