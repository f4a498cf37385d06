# Demo teacher: the real Cityscapes PSPNet R-101 config with the demo data,
# a CPU-sized ResNet-50 (width 16) and the demo schedule.
_base_ = [
    'mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py',
    './_synthetic_cityscapes.py',
]
model = _base_.demo_teacher
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
optim_wrapper = _base_.demo_optim_wrapper
param_scheduler = _base_.demo_param_scheduler
train_cfg = dict(max_iters=1200, val_interval=1200)  # the teacher trains 2x
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=1200, by_epoch=False))
