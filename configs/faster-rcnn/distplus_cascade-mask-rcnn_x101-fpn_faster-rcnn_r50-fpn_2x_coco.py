# DIST+ with the Cascade Mask R-CNN X-101 teacher, the paper's setting: the
# teacher's first stage scores the student's RoIs and is the one acclimated
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
    teacher=dict(cfg_path=_base_.frcnn_cascade_cfg),
    teacher_ckpt=_base_.frcnn_cascade_ckpt,
    distiller=_base_.frcnn_cascade_distplus_distiller,
    acclimated_modules=_base_.frcnn_cascade_acclimated_modules)

find_unused_parameters = False
optim_wrapper = dict(paramwise_cfg=_base_.coco_teacher_paramwise_cfg)
val_cfg = _base_.coco_teacher_val_cfg
custom_hooks = _base_.coco_teacher_guard
