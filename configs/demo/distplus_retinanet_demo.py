# Demo of the DIST+ config: the real RetinaNet X-101 -> R-50 COCO config
# with the demo data, CPU-sized models, the demo teacher and schedule.
_base_ = [
    '../retinanet/distplus_retinanet_x101-fpn_retinanet_r50-fpn_2x_coco.py',  # noqa: E501
    './_synthetic_coco.py',
]
model = dict(
    architecture=_base_.demo_retinanet_student,
    teacher=dict(override=_base_.demo_retinanet_teacher),
    teacher_ckpt=_base_.demo_retinanet_teacher_ckpt,
    distiller=dict(connectors=_base_.demo_fpn_connectors))
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
