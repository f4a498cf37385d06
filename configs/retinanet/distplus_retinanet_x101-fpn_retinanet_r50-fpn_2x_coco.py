# DIST+: RetinaNet X-101-64x4d-FPN teacher -> RetinaNet R-50-FPN, COCO 2x:
# DIST on the per-level classification logits + channel/spatial relations on
# the five FPN outputs (each through a student-side 1x1 conv, as in the
# paper) + acclimation of the teacher's last classification conv and
# retina_cls from the non-target relation of each anchor, its guard and its
# validation (configs/_base_/coco_distillation.py).
_base_ = [
    'mmdet::retinanet/retinanet_r50_fpn_2x_coco.py',
    '../_base_/coco_distillation.py',
]
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=_base_.retina_x101_cfg),
    teacher_ckpt=_base_.retina_x101_ckpt,
    distiller=_base_.retina_distplus_distiller,
    acclimated_modules=_base_.retina_acclimated_modules)

find_unused_parameters = False
optim_wrapper = dict(paramwise_cfg=_base_.coco_teacher_paramwise_cfg)
val_cfg = _base_.coco_teacher_val_cfg
custom_hooks = _base_.coco_teacher_guard
