# Ablation row of the paper (Cascade teacher): DIST + L_cr + L_sr on the five
# FPN outputs (each through the student-side 1x1 conv of its level), no
# teacher acclimation (results: configs/faster-rcnn/README.md).
# Only the feature losses differ from the DIST config.
_base_ = [
    './dist_cascade-mask-rcnn_x101-fpn_faster-rcnn_r50-fpn_2x_coco.py',
    '../_base_/fpn_distillation.py',
]

model = dict(distiller=_base_.fpn_relation_distiller)
