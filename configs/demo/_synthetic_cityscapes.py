# Shared overrides of the demo: synthetic Cityscapes-layout data (written by
# tools/demo.py / dist_mm.datasets.make_cityscapes), CPU-sized models and a
# short schedule. Only demo_* names, so it can sit beside a real base config.
demo_data_root = 'data/synthetic_cityscapes'
demo_work_root = 'work_dirs/demo'
demo_teacher_ckpt = 'work_dirs/demo/teacher.pth'
demo_mask2former_ckpt = 'work_dirs/demo/mask2former_teacher.pth'
demo_iters = 1000
demo_image_size = (64, 128)  # (h, w) of the synthetic images

demo_bn = dict(type='BN', requires_grad=True)  # SyncBN needs a process group
demo_student = dict(
    pretrained=None,
    data_preprocessor=dict(size=demo_image_size),
    backbone=dict(
        depth=18, stem_channels=16, base_channels=16, norm_cfg=demo_bn),
    decode_head=dict(in_channels=128, channels=32, norm_cfg=demo_bn),
    auxiliary_head=dict(in_channels=64, channels=16, norm_cfg=demo_bn))
demo_teacher = dict(
    pretrained=None,
    data_preprocessor=dict(size=demo_image_size),
    backbone=dict(
        depth=50, stem_channels=32, base_channels=16, norm_cfg=demo_bn),
    decode_head=dict(in_channels=512, channels=64, norm_cfg=demo_bn),
    auxiliary_head=dict(in_channels=256, channels=32, norm_cfg=demo_bn))

demo_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
demo_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
demo_train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=demo_data_root, pipeline=demo_train_pipeline))
demo_test_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=demo_data_root, pipeline=demo_test_pipeline))
demo_optim_wrapper = dict(optimizer=dict(lr=0.05))
# Toy scale only: the demo's DIST / DIST+ logit relations use temperature 4
# (the paper: 1 on Cityscapes; the real configs keep it), because the
# synthetic textures make the teacher nearly one-hot. The loss carries tau^2
# (the paper's gradient scale); the demo divides the paper's weights (decode
# 1, aux 0.4) by tau, so the relations weigh tau, not tau^2. Measurements:
# docs/en/design_decisions.md, "Temperature 4 in the segmentation demo".
demo_logit_tau = 4.0
demo_logit_weight = 1 / demo_logit_tau
demo_logit_losses = dict(
    loss_dist_decode=dict(tau=demo_logit_tau, loss_weight=demo_logit_weight),
    loss_dist_aux=dict(
        tau=demo_logit_tau, loss_weight=0.4 * demo_logit_weight))
demo_param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=demo_iters,
        by_epoch=False)
]
demo_train_cfg = dict(max_iters=demo_iters, val_interval=demo_iters)
# The demo's DIST+ students start from scratch (the paper's are ImageNet
# pre-trained): teacher acclimation starts at half the student schedule,
# once the student has learned something (AcclimationWarmupHook;
# docs/en/design_decisions.md, "Acclimation warm-up").
demo_acclimation_warmup = dict(
    type='AcclimationWarmupHook', begin=demo_iters // 2)
demo_default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=demo_iters, by_epoch=False))
# scalars (losses, rel.* relation terms, teacher.* metrics) also go to
# TensorBoard: tensorboard --logdir work_dirs/demo
demo_vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend')
]
# The query-based demo teacher: a CPU-sized Mask2Former R-50 (the backbone
# of demo_teacher, 64-wide pixel and transformer decoders, 20 queries).
demo_m2f_width = 64
demo_mask2former = dict(
    data_preprocessor=dict(size=demo_image_size),
    backbone=dict(
        _delete_=True,  # also replaces the Swin-L of the real configs
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        style='pytorch',
        stem_channels=32,
        base_channels=16,
        norm_cfg=demo_bn),
    decode_head=dict(
        in_channels=[64, 128, 256, 512],
        feat_channels=demo_m2f_width,
        out_channels=demo_m2f_width,
        num_queries=20,
        pixel_decoder=dict(
            encoder=dict(
                num_layers=2,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=demo_m2f_width, num_heads=4),
                    ffn_cfg=dict(
                        embed_dims=demo_m2f_width,
                        feedforward_channels=4 * demo_m2f_width))),
            positional_encoding=dict(num_feats=demo_m2f_width // 2)),
        positional_encoding=dict(num_feats=demo_m2f_width // 2),
        transformer_decoder=dict(
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=demo_m2f_width, num_heads=4),
                cross_attn_cfg=dict(embed_dims=demo_m2f_width, num_heads=4),
                ffn_cfg=dict(
                    embed_dims=demo_m2f_width,
                    feedforward_channels=4 * demo_m2f_width))),
        train_cfg=dict(num_points=2048)))
