# DIST+: DIST on decode/aux logits + channel/spatial relations on the feature
# the decode head consumes (backbone stage 4; a 1x1 connector lifts the
# student's 512 channels to the teacher's 2048) + acclimation of the
# teacher's last conv layer (decode_head.bottleneck) and classifier
# (decode_head.conv_seg) from the non-target relation per pixel (target:
# the ground-truth label, resized to stride 8; 255 pixels skipped).
_base_ = [
    './dist_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
]

student_channels = 512
teacher_channels = 2048

model = dict(
    acclimated_modules=['decode_head.bottleneck', 'decode_head.conv_seg'],
    distiller=dict(
        student_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layer4'),
            gt=dict(
                type='MethodOutputs',
                source='mmseg.models.decode_heads.decode_head.'
                'BaseDecodeHead._stack_batch_gt')),
        teacher_recorders=dict(
            feat=dict(type='ModuleOutputs', source='backbone.layer4')),
        connectors=dict(
            feat_s=dict(
                type='ConvModuleConnector',
                in_channel=student_channels,
                out_channel=teacher_channels,
                kernel_size=1,
                norm_cfg=None,
                act_cfg=None)),
        distill_losses=dict(
            loss_dist_feat=dict(
                type='DISTFeatureLoss',
                channel_weight=1.0,
                spatial_weight=1.0,
                loss_weight=1.0),
            loss_acclimation=dict(
                type='TeacherAcclimationLoss', loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_dist_feat=dict(
                preds_S=dict(
                    from_student=True, recorder='feat', connector='feat_s'),
                preds_T=dict(from_student=False, recorder='feat')),
            loss_acclimation=dict(
                preds_T=dict(from_student=False, recorder='logits'),
                preds_S=dict(from_student=True, recorder='logits'),
                target=dict(from_student=True, recorder='gt')))))

# The acclimated teacher parts train at 1/100 of the student's lr and
# without weight decay (dist_mm default), so that acclimation keeps the
# teacher a teacher (docs/en/design_decisions.md).
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'teacher.': dict(lr_mult=0.01, decay_mult=0.0)}))

# Each validation also evaluates the acclimated teacher as it stands (logged
# as teacher.<metric>); save_best keeps using the student's metrics.
val_cfg = dict(type='mmrazor.SingleTeacherDistillValLoop')
# Stop if acclimation costs the teacher more than 5 points of accuracy on
# the training batches (see TeacherGuardHook).
custom_hooks = [
    dict(type='TeacherGuardHook', max_drop=0.05, window=50, action='stop')
]
