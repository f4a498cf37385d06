# DIST+: Faster R-CNN R-101-FPN teacher -> R-50-FPN student, COCO 2x: DIST on
# the RoI logits + channel/spatial relations on the five FPN outputs (each
# through a student-side 1x1 conv, as in the paper) + teacher acclimation of
# the teacher's RoI classification head, its guard and its validation
# (configs/_base_/coco_distillation.py).
_base_ = [
    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py',
    '../_base_/coco_distillation.py',
]
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=_base_.frcnn_r101_cfg),
    teacher_ckpt=_base_.frcnn_r101_ckpt,
    distiller=_base_.frcnn_distplus_distiller,
    acclimated_modules=_base_.frcnn_acclimated_modules)

find_unused_parameters = False
optim_wrapper = dict(paramwise_cfg=_base_.coco_teacher_paramwise_cfg)
val_cfg = _base_.coco_teacher_val_cfg
custom_hooks = _base_.coco_teacher_guard
