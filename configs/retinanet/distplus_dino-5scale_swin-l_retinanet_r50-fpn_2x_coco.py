# DIST+ from a DETR-family teacher: DINO 5-scale Swin-L (COCO, zoo) ->
# RetinaNet R-50-FPN, COCO 2x. Levels are paired by stride: the teacher's
# strides 8-64 with the student's P3-P6. The teacher's stride-4 level and the
# student's P7 (stride 128) have no partner and are not distilled.
# - DIST on each paired level's classification: the teacher's two-stage
#   encoder scores (one 80-vector per position) are the target of each of
#   the 9 anchors at the position (anchor_classes: instances are positions
#   x anchors, 80 sigmoid classes, as both heads are trained);
# - channel / spatial relations between each paired level's encoder memory
#   (the map its scores come from; the neck map before the encoder taught
#   less) and the student's FPN map, through a student-side 1x1 conv;
# - acclimation of the teacher's encoder classifier (the one whose scores
#   DIST reads) against the student's per-anchor labels; the rest of the
#   teacher stays frozen. Its lr, validation and guard are those of the
#   RetinaNet DIST+ configs.
# docs/en/user_guides/stronger_teachers.md
_base_ = [
    'mmdet::retinanet/retinanet_r50_fpn_2x_coco.py',
    '../_base_/coco_distillation.py',
    '../_base_/dino_teacher_coco.py',
]
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=_base_.dino_teacher_cfg),
    teacher_ckpt=_base_.dino_teacher_ckpt,
    distiller=dict(
        _base_.dino_p3_acclimated_distiller,
        student_recorders=dict(
            cls=dict(type='ModuleOutputs', source='bbox_head.retina_cls'),
            fpn=dict(type='ModuleOutputs', source='neck'),
            anchor_targets=_base_.dino_anchor_targets)),
    acclimated_modules=_base_.dino_acclimated_modules)

find_unused_parameters = False
optim_wrapper = dict(paramwise_cfg=_base_.coco_teacher_paramwise_cfg)
val_cfg = _base_.coco_teacher_val_cfg
custom_hooks = _base_.coco_teacher_guard
