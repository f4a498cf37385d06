# Demo of pixel-wise KD (MMRazor's KLDivergence, per pixel, tau 1) from the
# Mask2Former teacher: its per-pixel mixture formed at the student's stride 8
# (KLDivergence compares maps of one size). A reference method of the
# teacher-strength curve (docs/en/user_guides/teacher_strength.md).
_base_ = './dist_mask2former-pspnet_demo.py'
model = dict(
    distiller=dict(
        connectors=dict(
            t_logits8=dict(type='MaskClassificationLogits', scale_factor=0.5)),
        distill_losses=dict(
            _delete_=True,
            loss_kd=dict(
                type='KLDivergence', tau=1.0, reduction='mean',
                loss_weight=19)),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(
                    from_student=False,
                    recorder='masks',
                    connector='t_logits8')))))
