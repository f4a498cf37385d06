# Shared names of the FPN-level rows of the paper's detection tables: the
# five FPN outputs recorded on both sides, one loss per level reading level
# i of them. Only fpn_* names, so it can sit beside a real base config.
fpn_levels = 5
fpn_recorders = dict(fpn=dict(type='ModuleOutputs', source='neck'))
fpn_mappings = {
    f'loss_fpn{i}': dict(
        preds_S=dict(from_student=True, recorder='fpn', data_idx=i),
        preds_T=dict(from_student=False, recorder='fpn', data_idx=i))
    for i in range(fpn_levels)
}
# +mimic (the authors' dist+mimic configs, hunto/MasKD): MSE between the
# teacher's FPN maps and the student's after a 1x1 conv adapter per level
fpn_mimic_connectors = {
    f's_fpn{i}': dict(type='ConvModuleConnector', in_channel=256,
                      out_channel=256, kernel_size=1, norm_cfg=None,
                      act_cfg=None)
    for i in range(fpn_levels)
}
fpn_mimic_losses = {
    f'loss_fpn{i}': dict(type='L2Loss', normalize=False, div_element=True,
                         loss_weight=1.0)  # = nn.MSELoss(), mean
    for i in range(fpn_levels)
}
fpn_mimic_mappings = {
    f'loss_fpn{i}': dict(
        s_feature=dict(from_student=True, recorder='fpn', data_idx=i,
                       connector=f's_fpn{i}'),
        t_feature=dict(from_student=False, recorder='fpn', data_idx=i))
    for i in range(fpn_levels)
}
fpn_mimic_distiller = dict(
    student_recorders=fpn_recorders,
    teacher_recorders=fpn_recorders,
    connectors=fpn_mimic_connectors,
    distill_losses=fpn_mimic_losses,
    loss_forward_mappings=fpn_mimic_mappings)
