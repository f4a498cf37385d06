# A DETR-family teacher for the COCO FPN students: the zoo's DINO 5-scale
# Swin-L, read through its neck (the multi-scale maps its encoder reads) and
# its two-stage encoder's dense class scores. Only dino_* names, so it can
# sit beside a real base config. Choices:
# docs/en/user_guides/stronger_teachers.md.
dino_teacher_cfg = 'mmdet::dino/dino-5scale_swin-l_8xb2-36e_coco.py'
dino_teacher_ckpt = 'https://github.com/RistoranteRist/mmlab-weights/releases/download/dino-swinl/dino-5scale_swin-l_8xb2-36e_coco-5486e051.pth'  # noqa: E501
# the strides of the teacher's levels (neck outputs and encoder levels)
dino_strides = [4, 8, 16, 32, 64]
dino_channels = 256  # the neck's width, as a student FPN's
# the encoder's dense scores: the classifier after the last of its 6 decoder
# layers scores the encoder memory of every level (pre_decoder), called per
# level by the teacher pass (record i: level i, [B, H, W, 80])
# and the encoder memory of every level, as that classifier reads it (its
# input: record i, level i, [B, H, W, 256])
dino_recorders = dict(
    neck=dict(type='ModuleOutputs', source='neck'),
    scores=dict(type='ModuleOutputs', source='bbox_head.cls_branches.6'),
    memory=dict(type='ModuleInputs', source='bbox_head.cls_branches.6'))
# channels-last scores as [B, 80, H, W] logit maps
dino_connectors = dict(t_scores=dict(type='ChannelsFirstConnector'))
# (teacher level, student level) of every stride both have. A P3-P7 student
# (RetinaNet, FCOS) pairs strides 8-64: the teacher's stride-4 level and the
# student's P7 (stride 128) have no partner and are not distilled. A P2-P6
# student (Faster R-CNN) pairs all five.
dino_p3_pairs = [(1, 0), (2, 1), (3, 2), (4, 3)]
dino_p2_pairs = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]
# DIST+ feature relations of each paired level: the teacher's neck map
# against the student's FPN map (recorder 'fpn') through a 1x1 conv
dino_feature_losses = {
    f'loss_fpn{s}':
    dict(
        type='DISTFeatureLoss',
        channel_weight=1.0,
        spatial_weight=1.0,
        loss_weight=1.0)
    for s in range(5)
}
dino_feature_connectors = {
    f's_fpn{s}':
    dict(
        type='ConvModuleConnector',
        in_channel=256,
        out_channel=dino_channels,
        kernel_size=1,
        norm_cfg=None,
        act_cfg=None)
    for s in range(5)
}
# the feature mappings of a P3-P7 ('p3') and a P2-P6 ('p2') student
dino_feature_mappings = {
    student: {
        f'loss_fpn{s}':
        dict(
            preds_S=dict(
                from_student=True,
                recorder='fpn',
                data_idx=s,
                connector=f's_fpn{s}'),
            preds_T=dict(from_student=False, recorder='neck', data_idx=t))
        for t, s in pairs
    }
    for student, pairs in (('p3', dino_p3_pairs), ('p2', dino_p2_pairs))
}
# a P3-P7 student's DIST+, which reads the scores (so the encoder runs):
# the feature relations read each paired level's encoder memory, the map
# its scores come from, instead of the neck map the encoder reads
# (docs/en/user_guides/stronger_teachers.md)
dino_memory_feature_mappings = {
    f'loss_fpn{s}':
    dict(
        dino_feature_mappings['p3'][f'loss_fpn{s}'],
        preds_T=dict(
            from_student=False,
            recorder='memory',
            record_idx=t,
            data_idx=0,
            connector='t_memory'))
    for t, s in dino_p3_pairs
}
# DIST on each paired level's classification (student recorder 'cls', one
# record per level): sigmoid, as both are trained; instances are positions
# x anchors (anchor_classes), so each of a RetinaNet's 9 anchors at a
# position has the teacher's scores of the position as its target (for
# FCOS, one point per position, this is the plain per-position loss)
dino_p3_logit_losses = {
    f'loss_dist_cls{s}':
    dict(
        type='DISTLogitLoss',
        activation='sigmoid',
        anchor_classes='num_classes',
        loss_weight=1.0)
    for t, s in dino_p3_pairs
}
dino_p3_logit_mappings = {
    f'loss_dist_cls{s}':
    dict(
        preds_S=dict(from_student=True, recorder='cls', record_idx=s),
        preds_T=dict(
            from_student=False,
            recorder='scores',
            record_idx=t,
            connector='t_scores'))
    for t, s in dino_p3_pairs
}
# the DIST+ distiller of a P3-P7 student, less its student recorders ('cls':
# its classifier; 'fpn': its neck)
dino_p3_distiller = dict(
    type='ConfigurableDistiller',
    teacher_recorders=dict(
        scores=dino_recorders['scores'], memory=dino_recorders['memory']),
    connectors=dict(
        dino_connectors,
        t_memory=dict(type='ChannelsFirstConnector'),
        **{
            f's_fpn{s}': dino_feature_connectors[f's_fpn{s}']
            for t, s in dino_p3_pairs
        }),
    distill_losses=dict(
        dino_p3_logit_losses, **{
            f'loss_fpn{s}': dino_feature_losses[f'loss_fpn{s}']
            for t, s in dino_p3_pairs
        }),
    loss_forward_mappings=dict(dino_p3_logit_mappings,
                               **dino_memory_feature_mappings))
# the student's per-anchor labels of each level (get_targets returns
# (labels_list, ...)), as the RetinaNet DIST+ configs record them
dino_anchor_targets = dict(
    type='MethodOutputs',
    source='mmdet.models.dense_heads.anchor_head.AnchorHead.get_targets')
# DIST+ acclimation for a P3-P7 anchor student (RetinaNet): the classifier
# that scores the encoder memory (whose scores DIST reads) trains with
# TeacherAcclimationLoss against the labels the student's assigner gave each
# anchor (each of the 9 anchors at a position against the position's
# scores), so that the one-to-one-matched scores move toward the student's
# assignment; nothing else of the teacher trains. Without it the student
# follows DINO's scores less well than a CNN teacher's
# (docs/en/user_guides/stronger_teachers.md).
dino_acclimated_modules = ['bbox_head.cls_branches.6']
dino_p3_acclimation_losses = {
    f'loss_acclimation{s}':
    dict(
        type='TeacherAcclimationLoss',
        activation='sigmoid',
        anchor_classes='num_classes',
        loss_weight=1.0)
    for t, s in dino_p3_pairs
}
dino_p3_acclimation_mappings = {
    f'loss_acclimation{s}':
    dict(
        preds_T=dict(
            from_student=False,
            recorder='scores',
            record_idx=t,
            connector='t_scores'),
        preds_S=dict(from_student=True, recorder='cls', record_idx=s),
        target=dict(
            from_student=True,
            recorder='anchor_targets',
            data_idx=0,
            connector_idx=s))
    for t, s in dino_p3_pairs
}
# the acclimated DIST+ distiller of a P3-P7 anchor student, less its student
# recorders ('cls', 'fpn' and 'anchor_targets': dino_anchor_targets). Its
# logit relations weigh half: the acclimated scores still hold relations the
# student's head cannot follow, and at full weight they pull its training
# toward them (docs/en/user_guides/stronger_teachers.md)
dino_p3_acclimated_distiller = dict(
    dino_p3_distiller,
    distill_losses=dict(
        dino_p3_distiller['distill_losses'], **{
            name: dict(loss, loss_weight=0.5)
            for name, loss in dino_p3_logit_losses.items()
        }, **dino_p3_acclimation_losses),
    loss_forward_mappings=dict(dino_p3_distiller['loss_forward_mappings'],
                               **dino_p3_acclimation_mappings))
# DIST through a fitted head: a classification branch of the student's kind
# (RetinaNet's: 4 3x3 convs and a classifier of its A*K = 9*80 sigmoid
# outputs; one head shared by the levels) on each paired level of the
# teacher's neck, trained with the student's own task loss and assignment
# (TeacherHeadFitLoss: focal loss against the labels the student's assigner
# gave each anchor) while the teacher stays frozen. Its logits, laid out as
# the student's, are the DIST target of the student's classifier at the same
# level, as a RetinaNet teacher's would be. The encoder is not read, so it
# does not run. docs/en/user_guides/stronger_teachers.md
dino_head = dict(
    type='TeacherDenseHead',
    head=dict(
        type='mmseg.FCNHead',
        in_channels=dino_channels,
        channels=256,
        num_convs=4,
        kernel_size=3,
        concat_input=False,
        dropout_ratio=0.0,
        num_classes=9 * 80,
        norm_cfg=None,
        act_cfg=dict(type='ReLU'),
        # RetinaNet's classifier init: a prior probability of 0.01
        init_cfg=dict(
            type='Normal',
            std=0.01,
            override=dict(
                name='conv_seg', type='Normal', std=0.01, bias=-4.595))))
dino_p3_head_distiller = dict(
    type='ConfigurableDistiller',
    teacher_recorders=dict(neck=dino_recorders['neck']),
    connectors=dict(
        t_head=dino_head,
        **{
            f's_fpn{s}': dino_feature_connectors[f's_fpn{s}']
            for t, s in dino_p3_pairs
        }),
    distill_losses=dict(
        {
            f'loss_dist_cls{s}':
            dict(type='DISTLogitLoss', activation='sigmoid', loss_weight=1.0)
            for t, s in dino_p3_pairs
        }, **{
            f'loss_head_fit{s}':
            dict(
                type='TeacherHeadFitLoss',
                activation='sigmoid',
                anchor_classes='num_classes',
                loss_weight=1.0)
            for t, s in dino_p3_pairs
        }, **{
            f'loss_fpn{s}': dino_feature_losses[f'loss_fpn{s}']
            for t, s in dino_p3_pairs
        }),
    loss_forward_mappings=dict(
        {
            f'loss_dist_cls{s}':
            dict(
                preds_S=dict(from_student=True, recorder='cls', record_idx=s),
                preds_T=dict(
                    from_student=False,
                    recorder='neck',
                    data_idx=t,
                    connector='t_head'))
            for t, s in dino_p3_pairs
        }, **{
            f'loss_head_fit{s}':
            dict(
                preds_T=dict(
                    from_student=False,
                    recorder='neck',
                    data_idx=t,
                    connector='t_head'),
                target=dict(
                    from_student=True,
                    recorder='anchor_targets',
                    data_idx=0,
                    connector_idx=s))
            for t, s in dino_p3_pairs
        }, **dino_feature_mappings['p3']))
