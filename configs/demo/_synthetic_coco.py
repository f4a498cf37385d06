# Shared overrides of the detection demos: synthetic COCO-layout data
# (written by tools/demo.py / dist_mm.datasets.make_coco), CPU-sized models
# and a short schedule. Only demo_* names, so it can sit beside a real base.
demo_data_root = 'data/synthetic_coco/'
demo_classes = ('square', 'disc', 'triangle')
demo_image_size = (128, 128)  # (w, h) of the synthetic images
# objects 24-64 px wide: RetinaNet's smallest anchors are 32-50 px
demo_object_size = (24, 64)
demo_iters = 1000

# From scratch: BN trains (mmdet's configs keep ImageNet BN statistics
# frozen with norm_eval=True, which leaves a random backbone unnormalised)
# and no stage is frozen.
demo_resnet = dict(norm_eval=False, frozen_stages=-1, init_cfg=None)
demo_fpn = dict(out_channels=32)
# the DIST+ configs' student-side 1x1 conv of each FPN level, at that width
demo_fpn_connectors = {
    f's_fpn{i}': dict(in_channel=32, out_channel=32)
    for i in range(5)
}
demo_student_backbone = dict(depth=18, base_channels=16, **demo_resnet)
demo_student_neck = dict(in_channels=[16, 32, 64, 128], **demo_fpn)
# Faster R-CNN at width 16 comes too close to its teacher for a gain to mean
# much: its student is R-18 at width 8
demo_faster_rcnn_student_backbone = dict(
    demo_student_backbone, base_channels=8)
demo_faster_rcnn_student_neck = dict(
    demo_student_neck, in_channels=[8, 16, 32, 64])
# the teachers' configs use ResNeXt-101 / ResNet-101: a ResNet-50 at width
# 16 stands in for them
demo_teacher_backbone = dict(
    _delete_=True,
    type='ResNet',
    depth=50,
    base_channels=16,
    num_stages=4,
    out_indices=(0, 1, 2, 3),
    norm_cfg=dict(type='BN', requires_grad=True),
    style='pytorch',
    **demo_resnet)
demo_teacher_neck = dict(in_channels=[64, 128, 256, 512], **demo_fpn)
num_demo_classes = len(demo_classes)
demo_retinanet_student = dict(
    backbone=demo_student_backbone,
    neck=demo_student_neck,
    bbox_head=dict(
        num_classes=num_demo_classes,
        in_channels=32,
        feat_channels=32,
        stacked_convs=2))
demo_retinanet_teacher = dict(
    backbone=demo_teacher_backbone,
    neck=demo_teacher_neck,
    bbox_head=dict(
        num_classes=num_demo_classes, in_channels=32, feat_channels=64))
# fewer proposals and sampled RoIs than COCO's 1000 / 512: 1-4 objects in
# a 128x128 image
demo_rcnn_cfg = dict(
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=300, max_per_img=100),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=300, max_per_img=100)))
demo_faster_rcnn_student = dict(
    backbone=demo_faster_rcnn_student_backbone,
    neck=demo_faster_rcnn_student_neck,
    rpn_head=dict(in_channels=32, feat_channels=32),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(
            in_channels=32, fc_out_channels=128,
            num_classes=num_demo_classes)),
    **demo_rcnn_cfg)
demo_faster_rcnn_teacher = dict(
    backbone=demo_teacher_backbone,
    neck=demo_teacher_neck,
    rpn_head=dict(in_channels=32, feat_channels=64),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(
            in_channels=32, fc_out_channels=256,
            num_classes=num_demo_classes)),
    **demo_rcnn_cfg)
demo_retinanet_teacher_ckpt = 'work_dirs/demo/retinanet_teacher.pth'
demo_faster_rcnn_teacher_ckpt = 'work_dirs/demo/faster_rcnn_teacher.pth'

demo_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=demo_image_size, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
demo_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=demo_image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]
# An endless sampler, as in mmdet's iteration-based configs (common/
# ms-90k_coco.py): with mmdet's COCO base, which samples by epoch, mmengine's
# iteration loop sleeps 2 s at every epoch restart ("prevent possible
# deadlock", _InfiniteDataloaderIterator), every 32 iterations here.
demo_train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=demo_data_root,
        metainfo=dict(classes=demo_classes),
        pipeline=demo_train_pipeline))
demo_test_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=demo_data_root,
        metainfo=dict(classes=demo_classes),
        pipeline=demo_test_pipeline))
demo_test_evaluator = dict(ann_file=demo_data_root +
                           'annotations/instances_val2017.json')
# Gradient clipping: from scratch, DIST on RetinaNet's sigmoid logits grows
# the classifier's weights until training diverges; only DIST's early steps
# reach the clip norm (docs/en/design_decisions.md, "Flat teacher slices and
# a growing sigmoid classifier").
demo_optim_wrapper = dict(
    optimizer=dict(lr=0.02), clip_grad=dict(max_norm=10, norm_type=2))
demo_param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=0,
        end=demo_iters,
        eta_min=1e-4)
]
demo_train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=demo_iters,
    val_interval=demo_iters)
# The demo's DIST+ students start from scratch (the paper's are ImageNet
# pre-trained): teacher acclimation starts at half the student schedule,
# once the student has learned something (AcclimationWarmupHook;
# docs/en/design_decisions.md, "Acclimation warm-up").
demo_acclimation_warmup = dict(
    type='AcclimationWarmupHook', begin=demo_iters // 2)
# validation metrics at their iteration (mmdet's LoggerHook logs them at
# the epoch, 0 in an iteration-based loop)
demo_logger = dict(interval=50, log_metric_by_epoch=False)
demo_default_hooks = dict(
    logger=demo_logger, checkpoint=dict(interval=demo_iters, by_epoch=False))
# the teachers train twice as long
demo_teacher_iters = 2 * demo_iters
demo_teacher_param_scheduler = [
    demo_param_scheduler[0],
    dict(demo_param_scheduler[1], end=demo_teacher_iters)
]
demo_teacher_train_cfg = dict(
    demo_train_cfg,
    max_iters=demo_teacher_iters,
    val_interval=demo_teacher_iters)
demo_teacher_default_hooks = dict(
    logger=demo_logger,
    checkpoint=dict(interval=demo_teacher_iters, by_epoch=False))
# mmdet's runtime logs by epoch; the demo counts iterations
demo_log_processor = dict(by_epoch=False)
# scalars (losses, rel.* relation terms, teacher.* metrics) also go to
# TensorBoard: tensorboard --logdir work_dirs/demo
demo_vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend')
]
# The DETR-family demo teacher: DINO 4-scale with a ResNet-50 (width 16),
# two encoder and three decoder layers (256 wide: DINO encodes reference
# points with 128 features per coordinate) and 100 queries; written to turn
# the real configs' 5-scale Swin-L into it too.
demo_dino_levels = 4
demo_dino_teacher = dict(
    num_queries=100,
    num_feature_levels=demo_dino_levels,
    backbone=dict(demo_teacher_backbone, out_indices=(1, 2, 3)),
    neck=dict(in_channels=[128, 256, 512], num_outs=demo_dino_levels),
    encoder=dict(
        num_layers=2,
        layer_cfg=dict(
            self_attn_cfg=dict(num_levels=demo_dino_levels),
            ffn_cfg=dict(feedforward_channels=512))),
    decoder=dict(
        num_layers=3,
        layer_cfg=dict(
            cross_attn_cfg=dict(num_levels=demo_dino_levels),
            ffn_cfg=dict(feedforward_channels=512))),
    bbox_head=dict(num_classes=num_demo_classes),
    dn_cfg=dict(group_cfg=dict(num_dn_queries=20)))
demo_dino_teacher_ckpt = 'work_dirs/demo/dino_teacher.pth'
