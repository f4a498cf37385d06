# Ablation row of the paper (Cascade teacher): DIST + L_sr (spatial relation)
# on the five FPN outputs, no teacher acclimation: the both-relations
# row
# with the other relation's weight at 0.
_base_ = [
    './dist-cr-sr_cascade-mask-rcnn_x101-fpn_faster-rcnn_r50-fpn_2x_coco.py'
]

model = dict(
    distiller=dict(distill_losses={
        f'loss_fpn{i}': dict(channel_weight=0.0)
        for i in range(_base_.fpn_levels)
    }))
