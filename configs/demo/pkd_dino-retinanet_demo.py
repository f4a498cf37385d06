# Demo of PKD (MMRazor's PKDLoss, weight 6 per level) from the DINO teacher:
# its four neck levels against the student's P3-P6, the student's 32-channel
# maps through a 1x1 conv to the teacher's 256 (PKD compares maps of one
# shape). A reference method of the teacher-strength curve
# (docs/en/user_guides/teacher_strength.md).
_base_ = './dist_dino-retinanet_demo.py'
model = dict(
    distiller=dict(
        connectors={
            f's_fpn{i}':
            dict(_base_.dino_feature_connectors[f's_fpn{i}'], in_channel=32)
            for i in _base_.levels
        },
        student_recorders=dict(
            _delete_=True, fpn=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(
            _delete_=True, neck=dict(type='ModuleOutputs', source='neck')),
        distill_losses=dict(
            _delete_=True,
            **{
                f'loss_pkd{i}': dict(type='PKDLoss', loss_weight=6)
                for i in _base_.levels
            }),
        loss_forward_mappings=dict(
            _delete_=True,
            **{
                f'loss_pkd{i}':
                dict(
                    preds_S=dict(
                        from_student=True,
                        recorder='fpn',
                        data_idx=i,
                        connector=f's_fpn{i}'),
                    preds_T=dict(
                        from_student=False, recorder='neck', data_idx=i))
                for i in _base_.levels
            })))
