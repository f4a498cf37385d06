# DIST+ from a DETR-family teacher: DINO 5-scale Swin-L (COCO, zoo) ->
# FCOS R-50-FPN (GN head, multi-scale 640-800), COCO 2x. Levels are paired
# by stride: the teacher's strides 8-64 with the student's P3-P6; the
# teacher's stride-4 level and the student's P7 are not distilled.
# - DIST on each paired level's classification: the teacher's two-stage
#   encoder scores against conv_cls, one 80-vector per position on both
#   sides (sigmoid, as both are trained);
# - channel / spatial relations between each paired level's encoder memory
#   (the map its scores come from; the neck map before the encoder taught
#   less) and the student's FPN map, through a student-side 1x1 conv;
# - no acclimation: the RetinaNet config acclimates the encoder classifier
#   against an anchor head's per-anchor labels; with FCOS's points it is
#   not measured.
# The teacher runs on the student's batch, so the student normalises images
# as the teacher does (torchvision style, RGB) instead of the zoo config's
# caffe style, with a torchvision-pretrained backbone.
# docs/en/user_guides/stronger_teachers.md
_base_ = [
    'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_ms-640-800-2x_coco.py',
    '../_base_/dino_teacher_coco.py',
]
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

student = dict(
    _base_.model,
    data_preprocessor=dict(
        _base_.model.data_preprocessor,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        _base_.model.backbone,
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')))
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=student,
    teacher=dict(cfg_path=_base_.dino_teacher_cfg),
    teacher_ckpt=_base_.dino_teacher_ckpt,
    distiller=dict(
        _base_.dino_p3_distiller,
        student_recorders=dict(
            cls=dict(type='ModuleOutputs', source='bbox_head.conv_cls'),
            fpn=dict(type='ModuleOutputs', source='neck'))))

find_unused_parameters = False
