# +mimic row of the paper: DIST on the per-level classification logits + MSE
# feature mimicking on the five FPN outputs through a 1x1 conv adapter per
# level, as the authors' dist+mimic config (hunto/MasKD).
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
    distiller=_base_.retina_mimic_distiller)

find_unused_parameters = False
