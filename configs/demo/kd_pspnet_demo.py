# Demo of pixel-wise KD (MMRazor's KLDivergence on the decode head's logits,
# per pixel, tau 1) through DISTPlusDistill: a reference method of the
# teacher-strength curve (docs/en/user_guides/teacher_strength.md).
_base_ = './dist_pspnet_demo.py'
# KLDivergence's 'mean' divides by classes x pixels: x19 classes is the
# per-pixel KL
model = dict(
    distiller=dict(
        distill_losses=dict(
            _delete_=True,
            loss_kd=dict(
                type='KLDivergence', tau=1.0, reduction='mean',
                loss_weight=19)),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
