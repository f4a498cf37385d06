# DIST+: DIST on the per-level classification logits + channel/spatial
# relations on the five FPN outputs (each through a student-side 1x1 conv,
# as in the paper) + acclimation of the teacher's last classification conv
# and retina_cls, from the non-target relation of each anchor (target: the
# label the student's assigner gave it; background anchors keep all the
# classes; anchor_classes='num_classes' is the student's class count, 80 on
# COCO, so the config ports as is).
_base_ = [
    './dist_retinanet_x101-fpn_retinanet_r50-fpn_2x_coco.py',
    '../_base_/fpn_distillation.py',
]

acclimation_losses = {
    f'loss_acclimation{i}':
    dict(
        type='TeacherAcclimationLoss',
        activation='sigmoid',
        anchor_classes='num_classes',
        loss_weight=1.0)
    for i in range(_base_.fpn_levels)
}
mappings = {
    f'loss_acclimation{i}':
    dict(
        preds_T=dict(from_student=False, recorder='cls', record_idx=i),
        preds_S=dict(from_student=True, recorder='cls', record_idx=i),
        # get_targets returns (labels_list, ...): labels of level i
        target=dict(
            from_student=True,
            recorder='anchor_targets',
            data_idx=0,
            connector_idx=i))
    for i in range(_base_.fpn_levels)
}

model = dict(
    acclimated_modules=['bbox_head.cls_convs.-1', 'bbox_head.retina_cls'],
    distiller=dict(
        student_recorders=dict(
            **_base_.fpn_recorders,
            anchor_targets=dict(
                type='MethodOutputs',
                source='mmdet.models.dense_heads.anchor_head.AnchorHead.'
                'get_targets')),
        teacher_recorders=_base_.fpn_recorders,
        connectors=_base_.fpn_connectors,
        distill_losses=dict(**_base_.fpn_relation_losses,
                            **acclimation_losses),
        loss_forward_mappings=dict(**_base_.fpn_relation_mappings,
                                   **mappings)))

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
# the training batches (see TeacherGuardHook). Per-batch accuracy on the
# positive anchors is noisy, so a smaller drop would stop runs whose teacher
# holds (docs/en/user_guides/teacher_health.md).
custom_hooks = [
    dict(type='TeacherGuardHook', max_drop=0.1, window=50, action='stop')
]
