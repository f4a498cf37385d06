# A transformer-backbone encoder-decoder teacher for the Cityscapes R-18-D8
# students (PSPNet, DeepLabV3): the zoo's SegFormer MiT-B5. Only seg_* names,
# so it can sit beside a real base config. Choices:
# docs/en/user_guides/stronger_teachers.md.
seg_teacher_cfg = 'mmseg::segformer/segformer_mit-b5_8xb1-160k_cityscapes-1024x1024.py'  # noqa: E501
seg_teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/segformer/segformer_mit-b5_8x1_1024x1024_160k_cityscapes/segformer_mit-b5_8x1_1024x1024_160k_cityscapes_20211206_072934-87a052ec.pth'  # noqa: E501
seg_teacher_channels = 128  # MiT-B5's stage 2 (stride 8)
student_channels = 512  # an R-18-D8 student's stage 4
# DIST+ without acclimation:
# - DIST on the logits: SegFormer's head predicts at stride 4, the student's
#   heads at stride 8; the student's logits are resized to the teacher's
#   (bilinear, resize_student) for the decode head (weight 1) and the
#   auxiliary head (weight 0.4); ignore-label pixels left out;
# - channel / spatial relations between the teacher's stage-2 map (stride 8,
#   as the student's dilated stage 4) and the student's stage 4 through a
#   1x1 conv.
# Acclimation compares teacher and student logits pixel for pixel, at one
# stride: it is left out for a teacher at another stride.
seg_gt = dict(from_student=True, recorder='gt')
seg_distplus_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(
        logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
        aux_logits=dict(
            type='ModuleOutputs', source='auxiliary_head.conv_seg'),
        feat=dict(type='ModuleOutputs', source='backbone.layer4'),
        gt=dict(
            type='MethodOutputs',
            source='mmseg.models.decode_heads.decode_head.BaseDecodeHead.'
            '_stack_batch_gt')),
    teacher_recorders=dict(
        logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
        stages=dict(type='ModuleOutputs', source='backbone')),
    connectors=dict(
        feat_s=dict(
            type='ConvModuleConnector',
            in_channel=student_channels,
            out_channel=seg_teacher_channels,
            kernel_size=1,
            norm_cfg=None,
            act_cfg=None)),
    distill_losses=dict(
        loss_dist_decode=dict(
            type='DISTLogitLoss', resize_student=True, loss_weight=1.0),
        loss_dist_aux=dict(
            type='DISTLogitLoss', resize_student=True, loss_weight=0.4),
        loss_dist_feat=dict(
            type='DISTFeatureLoss',
            channel_weight=1.0,
            spatial_weight=1.0,
            loss_weight=1.0)),
    loss_forward_mappings=dict(
        loss_dist_decode=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits'),
            gt_labels=seg_gt),
        loss_dist_aux=dict(
            preds_S=dict(from_student=True, recorder='aux_logits'),
            preds_T=dict(from_student=False, recorder='logits'),
            gt_labels=seg_gt),
        loss_dist_feat=dict(
            preds_S=dict(
                from_student=True, recorder='feat', connector='feat_s'),
            preds_T=dict(from_student=False, recorder='stages', data_idx=1))))
