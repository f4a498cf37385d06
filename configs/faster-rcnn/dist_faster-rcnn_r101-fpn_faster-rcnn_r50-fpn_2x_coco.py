# DIST (logits only): Faster R-CNN R-101-FPN teacher -> R-50-FPN student,
# COCO 2x. The teacher's RoI head scores the student's sampled RoIs and DIST
# relates the [num_rois, 81] RoI class logits (softmax, tau = 1); the
# distiller: configs/_base_/coco_distillation.py.
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
    distiller=_base_.frcnn_dist_distiller)

find_unused_parameters = False
