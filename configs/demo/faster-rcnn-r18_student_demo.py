# Demo student baseline: the real COCO Faster R-CNN R-50 config with the demo
# data, a CPU-sized ResNet-18 (width 8) and the demo schedule.
_base_ = [
    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py',
    './_synthetic_coco.py',
]
model = _base_.demo_faster_rcnn_student
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
val_evaluator = _base_.demo_test_evaluator
test_evaluator = _base_.demo_test_evaluator
optim_wrapper = _base_.demo_optim_wrapper
param_scheduler = _base_.demo_param_scheduler
train_cfg = _base_.demo_train_cfg
default_hooks = _base_.demo_default_hooks
visualizer = dict(vis_backends=_base_.demo_vis_backends)
log_processor = _base_.demo_log_processor
