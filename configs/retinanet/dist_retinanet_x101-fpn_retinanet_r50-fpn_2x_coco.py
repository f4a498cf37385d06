# DIST (logits only): RetinaNet X-101-64x4d-FPN teacher -> RetinaNet
# R-50-FPN, COCO 2x. As in the original DIST code, the A*K = 720 sigmoid
# outputs of a position form the class vector, one DIST loss per FPN level
# (P3-P7), no foreground masking (configs/_base_/coco_distillation.py).
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
    distiller=_base_.retina_dist_distiller)

find_unused_parameters = False
