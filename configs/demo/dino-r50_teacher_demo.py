# Demo DETR-family teacher: the real COCO DINO 4-scale R-50 config with the
# demo data, the CPU-sized DINO of _synthetic_coco.py and the demo teacher's
# schedule.
_base_ = [
    'mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py',
    './_synthetic_coco.py',
]
model = _base_.demo_dino_teacher
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
val_evaluator = _base_.demo_test_evaluator
test_evaluator = _base_.demo_test_evaluator
# AdamW as in the zoo config, at twice its lr and with the backbone at the
# full lr: the zoo fine-tunes a pre-trained backbone, the demo starts from
# scratch
optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
param_scheduler = _base_.demo_teacher_param_scheduler
train_cfg = _base_.demo_teacher_train_cfg
default_hooks = _base_.demo_teacher_default_hooks
visualizer = dict(vis_backends=_base_.demo_vis_backends)
log_processor = _base_.demo_log_processor
