# DIST and DIST+ of a Cityscapes R-18-D8 student (PSPNet, DeepLabV3) from a
# convolutional teacher of the same kind of head. Only cs_* names, so it can
# sit beside a real base config.
#
# DIST (logits only): all pixels of the batch are instances; the decode head
# (weight 1) and the auxiliary FCN head (weight 0.4) are distilled at their
# native stride 8. To leave out ignore-label (255) pixels, add
#   gt_labels=dict(from_student=True, recorder='gt')
# to the mappings and record 'gt' as DIST+ does.
cs_dist_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(
        logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
        aux_logits=dict(
            type='ModuleOutputs', source='auxiliary_head.conv_seg')),
    teacher_recorders=dict(
        logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
        aux_logits=dict(
            type='ModuleOutputs', source='auxiliary_head.conv_seg')),
    distill_losses=dict(
        loss_dist_decode=dict(type='DISTLogitLoss', loss_weight=1.0),
        loss_dist_aux=dict(type='DISTLogitLoss', loss_weight=0.4)),
    loss_forward_mappings=dict(
        loss_dist_decode=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits')),
        loss_dist_aux=dict(
            preds_S=dict(from_student=True, recorder='aux_logits'),
            preds_T=dict(from_student=False, recorder='aux_logits'))))
# DIST+: DIST + channel/spatial relations on the feature the decode head
# consumes (backbone stage 4; a 1x1 connector lifts the student's 512
# channels to the teacher's 2048) + acclimation of the teacher's last conv
# layer (decode_head.bottleneck) and classifier (decode_head.conv_seg) from
# the non-target relation per pixel (target: the ground-truth label,
# resized to stride 8; 255 pixels skipped).
cs_student_channels = 512
cs_teacher_channels = 2048
cs_distplus_distiller = dict(
    cs_dist_distiller,
    student_recorders=dict(
        cs_dist_distiller['student_recorders'],
        feat=dict(type='ModuleOutputs', source='backbone.layer4'),
        gt=dict(
            type='MethodOutputs',
            source='mmseg.models.decode_heads.decode_head.'
            'BaseDecodeHead._stack_batch_gt')),
    teacher_recorders=dict(
        cs_dist_distiller['teacher_recorders'],
        feat=dict(type='ModuleOutputs', source='backbone.layer4')),
    connectors=dict(
        feat_s=dict(
            type='ConvModuleConnector',
            in_channel=cs_student_channels,
            out_channel=cs_teacher_channels,
            kernel_size=1,
            norm_cfg=None,
            act_cfg=None)),
    distill_losses=dict(
        cs_dist_distiller['distill_losses'],
        loss_dist_feat=dict(
            type='DISTFeatureLoss',
            channel_weight=1.0,
            spatial_weight=1.0,
            loss_weight=1.0),
        loss_acclimation=dict(type='TeacherAcclimationLoss', loss_weight=1.0)),
    loss_forward_mappings=dict(
        cs_dist_distiller['loss_forward_mappings'],
        loss_dist_feat=dict(
            preds_S=dict(
                from_student=True, recorder='feat', connector='feat_s'),
            preds_T=dict(from_student=False, recorder='feat')),
        loss_acclimation=dict(
            preds_T=dict(from_student=False, recorder='logits'),
            preds_S=dict(from_student=True, recorder='logits'),
            target=dict(from_student=True, recorder='gt'))))
cs_acclimated_modules = ['decode_head.bottleneck', 'decode_head.conv_seg']
# The acclimated teacher parts train at 1/100 of the student's lr and
# without weight decay (dist_mm default), so that acclimation keeps the
# teacher a teacher (docs/en/design_decisions.md).
cs_teacher_paramwise_cfg = dict(
    custom_keys={'teacher.': dict(lr_mult=0.01, decay_mult=0.0)})
# Each validation also evaluates the acclimated teacher as it stands (logged
# as teacher.<metric>); save_best keeps using the student's metrics.
cs_teacher_val_cfg = dict(type='mmrazor.SingleTeacherDistillValLoop')
# Stop if acclimation costs the teacher more than 5 points of accuracy on
# the training batches (see TeacherGuardHook).
cs_teacher_guard = [
    dict(type='TeacherGuardHook', max_drop=0.05, window=50, action='stop')
]
