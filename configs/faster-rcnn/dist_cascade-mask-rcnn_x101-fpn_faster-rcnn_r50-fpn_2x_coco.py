# DIST: Cascade Mask R-CNN X-101-64x4d-FPN teacher -> Faster R-CNN R-50-FPN,
# COCO 2x (the paper's setting). The teacher scores the student's RoIs with
# its first stage, as the DIST authors do
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
    distiller=_base_.frcnn_cascade_dist_distiller)

find_unused_parameters = False
