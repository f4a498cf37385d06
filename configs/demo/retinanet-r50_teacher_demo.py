# Demo teacher: the real COCO RetinaNet X-101 config with the demo data, a
# CPU-sized ResNet-50 (width 16) and the demo schedule.
_base_ = [
    'mmdet::retinanet/retinanet_x101-64x4d_fpn_1x_coco.py',
    './_synthetic_coco.py',
]
model = _base_.demo_retinanet_teacher
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
val_evaluator = _base_.demo_test_evaluator
test_evaluator = _base_.demo_test_evaluator
optim_wrapper = _base_.demo_optim_wrapper
param_scheduler = _base_.demo_teacher_param_scheduler
train_cfg = _base_.demo_teacher_train_cfg
default_hooks = _base_.demo_teacher_default_hooks
visualizer = dict(vis_backends=_base_.demo_vis_backends)
log_processor = _base_.demo_log_processor
