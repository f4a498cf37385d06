# Ablation row of the paper (Cascade teacher): DIST + L_cr + L_sr on the five
# FPN outputs (each through the student-side 1x1 conv of its level), no
# teacher acclimation (results: configs/faster-rcnn/README.md).
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
    distiller=_base_.frcnn_cascade_cr_sr_distiller)

find_unused_parameters = False
