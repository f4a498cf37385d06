# Demo of channel-wise distillation (MMRazor's ChannelWiseDivergence on the
# decode head's logits, tau 1, weight 3 as MMRazor's PSPNet CWD config)
# through DISTPlusDistill: a reference method of the teacher-strength curve
# (docs/en/user_guides/teacher_strength.md).
_base_ = './dist_pspnet_demo.py'
model = dict(
    distiller=dict(
        distill_losses=dict(
            _delete_=True,
            loss_cwd=dict(
                type='ChannelWiseDivergence', tau=1.0, loss_weight=3)),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_cwd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
