# A query-based teacher for the Cityscapes R-18-D8 students (PSPNet,
# DeepLabV3): the zoo's Mask2Former Swin-L, read through its decode_head
# output and its pixel decoder. Only m2f_* names, so it can sit beside a
# real base config. Choices: docs/en/user_guides/stronger_teachers.md.
m2f_teacher_cfg = 'mmseg::mask2former/mask2former_swin-l-in22k-384x384-pre_8xb2-90k_cityscapes-512x1024.py'  # noqa: E501
m2f_teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/mask2former/mask2former_swin-l-in22k-384x384-pre_8xb2-90k_cityscapes-512x1024/mask2former_swin-l-in22k-384x384-pre_8xb2-90k_cityscapes-512x1024_20221202_141901-28ad20f1.pth'  # noqa: E501
m2f_channels = 256  # the pixel decoder's width
student_channels = 512  # an R-18-D8 student's stage 4
m2f_gt = dict(
    type='MethodOutputs',
    source='mmseg.models.decode_heads.decode_head.BaseDecodeHead.'
    '_stack_batch_gt')
# DIST: the teacher's class mask logits (MaskClassificationLogits with
# target='mask_logits': per class, the queries' mask logits weighted by
# their probability of that class; last decoder layer, at the masks'
# stride 4, where the teacher is accurate), against the student's decode
# head (weight 1) and auxiliary head (weight 0.4), their stride-8 logits
# resized to it; tau 1 as in the paper; ignore-label pixels left out. Why
# not mmseg's per-pixel mixture: docs/en/user_guides/teacher_strength.md
m2f_dist_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(
        logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
        aux_logits=dict(
            type='ModuleOutputs', source='auxiliary_head.conv_seg'),
        gt=m2f_gt),
    teacher_recorders=dict(
        masks=dict(type='ModuleOutputs', source='decode_head')),
    connectors=dict(
        t_logits=dict(
            type='MaskClassificationLogits',
            scale_factor=1.0,
            target='mask_logits')),
    distill_losses=dict(
        loss_dist_decode=dict(
            type='DISTLogitLoss', resize_student=True, loss_weight=1.0),
        loss_dist_aux=dict(
            type='DISTLogitLoss', resize_student=True, loss_weight=0.4)),
    loss_forward_mappings=dict(
        loss_dist_decode=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(
                from_student=False, recorder='masks', connector='t_logits'),
            gt_labels=dict(from_student=True, recorder='gt')),
        loss_dist_aux=dict(
            preds_S=dict(from_student=True, recorder='aux_logits'),
            preds_T=dict(
                from_student=False, recorder='masks', connector='t_logits'),
            gt_labels=dict(from_student=True, recorder='gt'))))
# DIST+: and the channel / spatial relations between the pixel decoder's
# stride-8 map (its multi-scale outputs run from stride 32 to 8: index 2)
# and the student's stage 4 through a 1x1 conv. No acclimation: a
# query-based teacher is refused it (see the docs).
m2f_distplus_distiller = dict(
    m2f_dist_distiller,
    student_recorders=dict(
        m2f_dist_distiller['student_recorders'],
        feat=dict(type='ModuleOutputs', source='backbone.layer4')),
    teacher_recorders=dict(
        m2f_dist_distiller['teacher_recorders'],
        pixel=dict(type='ModuleOutputs', source='decode_head.pixel_decoder')),
    connectors=dict(
        m2f_dist_distiller['connectors'],
        feat_s=dict(
            type='ConvModuleConnector',
            in_channel=student_channels,
            out_channel=m2f_channels,
            kernel_size=1,
            norm_cfg=None,
            act_cfg=None)),
    distill_losses=dict(
        m2f_dist_distiller['distill_losses'],
        loss_dist_feat=dict(
            type='DISTFeatureLoss',
            channel_weight=1.0,
            spatial_weight=1.0,
            loss_weight=1.0)),
    loss_forward_mappings=dict(
        m2f_dist_distiller['loss_forward_mappings'],
        loss_dist_feat=dict(
            preds_S=dict(
                from_student=True, recorder='feat', connector='feat_s'),
            preds_T=dict(
                from_student=False,
                recorder='pixel',
                data_idx=1,
                connector_idx=2))))
# DIST+ through a fitted head (an option; docs/en/user_guides/
# stronger_teachers.md has what it gave): the logit target of both student
# heads is a fitted head of the student's kind instead of the teacher's
# per-pixel mixture, and the channel / spatial relations are added.
# - The head: a PSPHead on the pixel decoder's stride-4 mask features (the
#   map the queries' mask embeddings read), trained with the student's
#   cross-entropy on the label map while the teacher stays frozen
#   (TeacherHeadFitLoss; DISTLogitLoss detaches its logits). The student's
#   stride-8 logits are resized to it; ignore-label pixels are left out.
#   The transformer decoder is not read, so it does not run.
# - The relations: the pixel decoder's stride-8 map (its multi-scale outputs
#   run from stride 32 to 8: index 2) against the student's stage 4 through
#   a 1x1 conv.
m2f_head = dict(
    type='TeacherDenseHead',
    head=dict(
        type='mmseg.PSPHead',
        in_channels=m2f_channels,
        in_index=0,
        channels=512,
        pool_scales=(1, 2, 3, 6),
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False))
m2f_head_logits = dict(
    from_student=False, recorder='pixel', data_idx=0, connector='t_head')
m2f_head_distiller = dict(
    m2f_dist_distiller,
    student_recorders=m2f_distplus_distiller['student_recorders'],
    teacher_recorders=dict(
        pixel=m2f_distplus_distiller['teacher_recorders']['pixel']),
    connectors=dict(
        feat_s=m2f_distplus_distiller['connectors']['feat_s'],
        t_head=m2f_head),
    distill_losses=dict(
        m2f_distplus_distiller['distill_losses'],
        loss_head_fit=dict(type='TeacherHeadFitLoss', loss_weight=1.0)),
    loss_forward_mappings=dict(
        loss_dist_decode=dict(
            m2f_dist_distiller['loss_forward_mappings']['loss_dist_decode'],
            preds_T=m2f_head_logits),
        loss_dist_aux=dict(
            m2f_dist_distiller['loss_forward_mappings']['loss_dist_aux'],
            preds_T=m2f_head_logits),
        loss_dist_feat=m2f_distplus_distiller['loss_forward_mappings']
        ['loss_dist_feat'],
        loss_head_fit=dict(
            preds_T=m2f_head_logits,
            target=dict(from_student=True, recorder='gt'))))
