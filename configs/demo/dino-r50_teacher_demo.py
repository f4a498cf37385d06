# A DETR-family demo teacher, tried for the DINO -> RetinaNet pair: the real
# COCO DINO 4-scale R-50 config with the demo data, a CPU-sized ResNet-50
# (width 16), two encoder and three decoder layers (256 wide: DINO encodes
# reference points with 128 features per coordinate), 100 queries, and the
# demo teacher's schedule. It is not part of a demo pair
# (docs/en/user_guides/stronger_teachers.md, "On the demo").
_base_ = [
    'mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py',
    './_synthetic_coco.py',
]
model = dict(
    num_queries=100,
    backbone=dict(
        depth=50,
        base_channels=16,
        norm_cfg=dict(type='BN', requires_grad=True),
        **_base_.demo_resnet),
    neck=dict(in_channels=[128, 256, 512]),
    encoder=dict(
        num_layers=2, layer_cfg=dict(ffn_cfg=dict(feedforward_channels=512))),
    decoder=dict(
        num_layers=3, layer_cfg=dict(ffn_cfg=dict(feedforward_channels=512))),
    bbox_head=dict(num_classes=_base_.num_demo_classes),
    dn_cfg=dict(group_cfg=dict(num_dn_queries=20)))
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
