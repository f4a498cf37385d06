# Demo of DIST+ with a DETR-family teacher whose encoder classifier is
# acclimated: the demo DIST+ DINO -> RetinaNet config, and the classifier
# that scores the encoder memory (bbox_head.cls_branches.3 of the demo
# teacher) trained by TeacherAcclimationLoss against the student's
# per-anchor labels, as the RetinaNet DIST+ configs acclimate their
# teacher's classifier.
_base_ = ['./distplus_dino-retinanet_demo.py']
levels = range(_base_.demo_dino_levels)
model = dict(
    acclimated_modules=['bbox_head.cls_branches.3'],
    distiller=dict(
        student_recorders=dict(anchor_targets=_base_.dino_anchor_targets),
        distill_losses={
            f'loss_acclimation{i}':
            dict(
                type='TeacherAcclimationLoss',
                activation='sigmoid',
                anchor_classes='num_classes',
                loss_weight=1.0)
            for i in levels
        },
        loss_forward_mappings={
            f'loss_acclimation{i}':
            dict(
                preds_T=dict(
                    from_student=False,
                    recorder='scores',
                    record_idx=i,
                    connector='t_scores'),
                preds_S=dict(from_student=True, recorder='cls', record_idx=i),
                target=dict(
                    from_student=True,
                    recorder='anchor_targets',
                    data_idx=0,
                    connector_idx=i))
            for i in levels
        }))
# the acclimated classifier at 1/100 of the student's lr, no weight decay
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'teacher.': dict(lr_mult=0.01, decay_mult=0.0)}))
custom_hooks = [_base_.demo_acclimation_warmup]
