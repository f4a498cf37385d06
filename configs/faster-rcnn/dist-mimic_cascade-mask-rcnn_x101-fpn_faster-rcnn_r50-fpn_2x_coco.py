# +mimic row of the paper (Cascade teacher): DIST on the RoI logits + MSE
# feature mimicking on the five FPN outputs through a 1x1 conv adapter per
# level, as the authors' dist+mimic config (hunto/MasKD).
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
    distiller=_base_.frcnn_cascade_mimic_distiller)

find_unused_parameters = False
