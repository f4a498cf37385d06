# Demo student baseline: the real Cityscapes PSPNet R-18 config with the demo
# data, a CPU-sized ResNet-18 (width 16) and the demo schedule.
_base_ = [
    'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    './_synthetic_cityscapes.py',
]
model = _base_.demo_student
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
optim_wrapper = _base_.demo_optim_wrapper
param_scheduler = _base_.demo_param_scheduler
train_cfg = _base_.demo_train_cfg
default_hooks = _base_.demo_default_hooks
visualizer = dict(vis_backends=_base_.demo_vis_backends)
