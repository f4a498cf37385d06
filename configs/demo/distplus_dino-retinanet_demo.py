# Demo of the DIST+ config with a DETR-family teacher: the real DINO Swin-L ->
# RetinaNet R-50 COCO config with the demo data, the CPU-sized demo DINO
# (4 levels, strides 8-64: all four meet the student's P3-P6) and RetinaNet
# student, and the demo schedule.
_base_ = [
    '../retinanet/distplus_dino-5scale_swin-l_retinanet_r50-fpn_2x_coco.py',  # noqa: E501
    './_synthetic_coco.py',
]
# level i of the demo teacher meets the student's level i
levels = range(_base_.demo_dino_levels)
mappings = {
    f'{loss}{i}': dict(preds_T=dict(record_idx=i))
    for loss in ('loss_dist_cls', 'loss_fpn', 'loss_acclimation')
    for i in levels
}
# the classifier after the demo teacher's 3 decoder layers: its scores and
# memory are recorded, and it is the acclimated one
classifier = 'bbox_head.cls_branches.3'
connectors = {
    f's_fpn{i}': dict(in_channel=32, out_channel=256)
    for i in levels
}
model = dict(
    architecture=_base_.demo_retinanet_student,
    teacher=dict(override=_base_.demo_dino_teacher),
    teacher_ckpt=_base_.demo_dino_teacher_ckpt,
    acclimated_modules=[classifier],
    distiller=dict(
        teacher_recorders=dict(
            scores=dict(source=classifier), memory=dict(source=classifier)),
        loss_forward_mappings=mappings,
        connectors=connectors))
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
val_evaluator = _base_.demo_test_evaluator
test_evaluator = _base_.demo_test_evaluator
optim_wrapper = _base_.demo_optim_wrapper
param_scheduler = _base_.demo_param_scheduler
train_cfg = _base_.demo_train_cfg
custom_hooks = _base_.custom_hooks + [_base_.demo_acclimation_warmup]
default_hooks = _base_.demo_default_hooks
visualizer = dict(vis_backends=_base_.demo_vis_backends)
log_processor = _base_.demo_log_processor
