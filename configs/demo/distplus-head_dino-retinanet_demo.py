# Demo of DIST+ through a fitted head with a DETR-family teacher (see
# configs/_base_/dino_teacher_coco.py, dino_p3_head_distiller): the demo
# DIST DINO -> RetinaNet config with that distiller (no acclimation), the
# head at the demo student's widths.
_base_ = ['./dist_dino-retinanet_demo.py']
levels = range(_base_.demo_dino_levels)
head = _base_.demo_retinanet_student['bbox_head']
model = dict(
    distiller=dict(
        _delete_=True,
        type='ConfigurableDistiller',
        student_recorders=dict(
            cls=dict(type='ModuleOutputs', source='bbox_head.retina_cls'),
            fpn=dict(type='ModuleOutputs', source='neck'),
            anchor_targets=_base_.dino_anchor_targets),
        teacher_recorders=dict(neck=_base_.dino_recorders['neck']),
        connectors=dict(
            t_head=dict(
                _base_.dino_head,
                head=dict(
                    _base_.dino_head['head'],
                    channels=head['feat_channels'],
                    num_convs=head['stacked_convs'],
                    num_classes=9 * head['num_classes'])),
            **{
                f's_fpn{i}':
                dict(
                    _base_.dino_feature_connectors[f's_fpn{i}'], in_channel=32)
                for i in levels
            }),
        distill_losses={
            k: v
            for k, v in
            _base_.dino_p3_head_distiller['distill_losses'].items()
            if int(k[-1]) in levels
        },
        # level i of the demo teacher meets the student's level i
        loss_forward_mappings={
            k:
            dict(
                v, **{
                    arg: dict(src, data_idx=int(k[-1]))
                    for arg, src in v.items() if src['recorder'] == 'neck'
                })
            for k, v in
            _base_.dino_p3_head_distiller['loss_forward_mappings'].items()
            if int(k[-1]) in levels
        }))
