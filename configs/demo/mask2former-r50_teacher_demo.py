# Demo query-based teacher: the real Cityscapes Mask2Former R-50 config with
# the demo data, a CPU-sized ResNet-50 (width 16), a narrow pixel decoder and
# transformer decoder, and the demo schedule.
_base_ = [
    'mmseg::mask2former/mask2former_r50_8xb2-90k_cityscapes-512x1024.py',
    './_synthetic_cityscapes.py',
]
model = _base_.demo_mask2former
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
# AdamW as in the zoo config; a from-scratch model takes a larger lr and a
# looser clip than the zoo's fine-tuning of a pre-trained backbone
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    clip_grad=dict(max_norm=1.0),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
teacher_iters = 2 * _base_.demo_iters  # the teacher trains twice as long
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0,
        power=0.9,
        begin=0,
        end=teacher_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=teacher_iters, val_interval=teacher_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=teacher_iters, by_epoch=False, save_best=None))
visualizer = dict(vis_backends=_base_.demo_vis_backends)
