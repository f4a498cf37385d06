# Research option: DIST+ from the DINO teacher with the feature relations
# on its encoder memory instead of its neck: the per-level map the dense
# scores are computed from (the input of the classifier that scores it,
# recorded per level by the teacher pass), against the student's FPN levels
# (docs/en/user_guides/stronger_teachers.md).
_base_ = './distplus_dino-retinanet_demo.py'
levels = range(_base_.demo_dino_levels)
model = dict(
    distiller=dict(
        teacher_recorders=dict(
            _delete_=True,
            scores=dict(
                type='ModuleOutputs', source='bbox_head.cls_branches.3'),
            memory=dict(
                type='ModuleInputs', source='bbox_head.cls_branches.3')),
        connectors={
            f't_memory{i}': dict(type='ChannelsFirstConnector')
            for i in levels
        },
        loss_forward_mappings={
            f'loss_fpn{i}':
            dict(
                preds_T=dict(
                    _delete_=True,
                    from_student=False,
                    recorder='memory',
                    record_idx=i,
                    data_idx=0,
                    connector=f't_memory{i}'))
            for i in levels
        }))
