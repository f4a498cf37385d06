# Ablation row of the paper (Cascade teacher): DIST + L_cr + L_sr on the five
# FPN outputs, no teacher acclimation (paper: 42.0 box AP; DIST 40.4, all of
# DIST+ 42.1). Only the feature losses differ from the DIST config.
_base_ = [
    './dist_cascade-mask-rcnn_x101-fpn_faster-rcnn_r50-fpn_2x_coco.py',
    '../_base_/fpn_distillation.py',
]

model = dict(
    distiller=dict(
        student_recorders=_base_.fpn_recorders,
        teacher_recorders=_base_.fpn_recorders,
        distill_losses={
            f'loss_fpn{i}': dict(type='DISTFeatureLoss', channel_weight=1.0,
                                 spatial_weight=1.0, loss_weight=1.0)
            for i in range(_base_.fpn_levels)
        },
        loss_forward_mappings=_base_.fpn_mappings))
