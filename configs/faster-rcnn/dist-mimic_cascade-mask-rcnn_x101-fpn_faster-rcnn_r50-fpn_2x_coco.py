# +mimic row of the paper (Cascade teacher): DIST on the RoI
# logits + MSE feature mimicking on the five FPN outputs through a 1x1 conv
# adapter per level, as the authors' dist+mimic config (hunto/MasKD).
_base_ = [
    './dist_cascade-mask-rcnn_x101-fpn_faster-rcnn_r50-fpn_2x_coco.py',
    '../_base_/fpn_distillation.py',
]

model = dict(distiller=_base_.fpn_mimic_distiller)
