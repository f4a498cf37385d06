# Demo of PKD (MMRazor's PKDLoss: MSE between the channel-standardised FPN
# maps, weight 6 per level as MMRazor's RetinaNet PKD config) through
# DISTPlusDistill: a reference method of the teacher-strength curve
# (docs/en/user_guides/teacher_strength.md).
_base_ = './dist_retinanet_demo.py'
fpn = dict(fpn=dict(type='ModuleOutputs', source='neck'))
model = dict(
    distiller=dict(
        student_recorders=dict(_delete_=True, **fpn),
        teacher_recorders=dict(_delete_=True, **fpn),
        distill_losses=dict(
            _delete_=True,
            **{
                f'loss_pkd{i}': dict(type='PKDLoss', loss_weight=6)
                for i in range(5)
            }),
        loss_forward_mappings=dict(
            _delete_=True,
            **{
                f'loss_pkd{i}':
                dict(
                    preds_S=dict(
                        from_student=True, recorder='fpn', data_idx=i),
                    preds_T=dict(
                        from_student=False, recorder='fpn', data_idx=i))
                for i in range(5)
            })))
