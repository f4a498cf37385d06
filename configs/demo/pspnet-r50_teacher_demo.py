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
teacher_iters = 2 * _base_.demo_iters  # the teacher trains twice as long
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=teacher_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=teacher_iters, val_interval=teacher_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=teacher_iters, by_epoch=False))
visualizer = dict(vis_backends=_base_.demo_vis_backends)
