# Demo of channel-wise distillation (MMRazor's ChannelWiseDivergence, tau 1,
# weight 3) from the Mask2Former teacher: its per-pixel mixture formed at the
# student's stride 8. A reference method of the teacher-strength curve
# (docs/en/user_guides/teacher_strength.md).
_base_ = './dist_mask2former-pspnet_demo.py'
model = dict(
    distiller=dict(
        connectors=dict(
            t_logits8=dict(type='MaskClassificationLogits', scale_factor=0.5)),
        distill_losses=dict(
            _delete_=True,
            loss_cwd=dict(
                type='ChannelWiseDivergence', tau=1.0, loss_weight=3)),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_cwd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(
                    from_student=False,
                    recorder='masks',
                    connector='t_logits8')))))
