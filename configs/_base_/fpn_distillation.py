# Shared names of the FPN-level rows of the paper's detection tables: the
# five FPN outputs recorded on both sides, one loss per level reading level
# i of them. Only fpn_* names, so it can sit beside a real base config.
fpn_levels = 5
fpn_channels = 256  # out_channels of mmdet's FPN, teacher and student
fpn_recorders = dict(fpn=dict(type='ModuleOutputs', source='neck'))
# A student-side 1x1 conv per level (no norm, no activation): the paper's
# alignment conv in front of the DIST+ feature relations, used "even when
# the widths match" (0.013 GFLOPs for R34 -> R18), and the adapter of the
# authors' +mimic configs (hunto/MasKD). The channel relation then compares
# a learnt mix of the student's channels with each teacher channel.
fpn_connectors = {
    f's_fpn{i}':
    dict(
        type='ConvModuleConnector',
        in_channel=fpn_channels,
        out_channel=fpn_channels,
        kernel_size=1,
        norm_cfg=None,
        act_cfg=None)
    for i in range(fpn_levels)
}
# DIST+ feature relations (L_cr, L_sr) of each level
fpn_relation_losses = {
    f'loss_fpn{i}':
    dict(
        type='DISTFeatureLoss',
        channel_weight=1.0,
        spatial_weight=1.0,
        loss_weight=1.0)
    for i in range(fpn_levels)
}
# Level i of the recorded FPN outputs, the student's through its 1x1 conv:
# the two sides of every FPN-level loss
fpn_student_levels = [
    dict(from_student=True, recorder='fpn', data_idx=i, connector=f's_fpn{i}')
    for i in range(fpn_levels)
]
fpn_teacher_levels = [
    dict(from_student=False, recorder='fpn', data_idx=i)
    for i in range(fpn_levels)
]
fpn_relation_mappings = {
    f'loss_fpn{i}':
    dict(preds_S=fpn_student_levels[i], preds_T=fpn_teacher_levels[i])
    for i in range(fpn_levels)
}
# +mimic: MSE between the teacher's FPN maps and the student's after the
# 1x1 conv of the level
fpn_mimic_losses = {
    f'loss_fpn{i}':
    dict(type='L2Loss', normalize=False, div_element=True,
         loss_weight=1.0)  # = nn.MSELoss(), mean
    for i in range(fpn_levels)
}
fpn_mimic_mappings = {
    f'loss_fpn{i}':
    dict(s_feature=fpn_student_levels[i], t_feature=fpn_teacher_levels[i])
    for i in range(fpn_levels)
}
fpn_mimic_distiller = dict(
    student_recorders=fpn_recorders,
    teacher_recorders=fpn_recorders,
    connectors=fpn_connectors,
    distill_losses=fpn_mimic_losses,
    loss_forward_mappings=fpn_mimic_mappings)
fpn_relation_distiller = dict(
    fpn_mimic_distiller,
    distill_losses=fpn_relation_losses,
    loss_forward_mappings=fpn_relation_mappings)
