# Demo of DIST+ through a fitted head with a query-based teacher (see
# configs/_base_/mask2former_teacher_cityscapes.py, m2f_head_distiller): the
# demo DIST+ Mask2Former -> PSPNet config with the fitted head, at the demo
# student's widths, as the logit target.
_base_ = ['./distplus_mask2former-pspnet_demo.py']
head = _base_.m2f_head_distiller
model = dict(
    distiller=dict(
        teacher_recorders=dict(_delete_=True, **head['teacher_recorders']),
        connectors=dict(
            _delete_=True,
            feat_s=dict(
                head['connectors']['feat_s'],
                in_channel=128,
                out_channel=_base_.demo_m2f_width),
            t_head=dict(
                _base_.m2f_head,
                head=dict(
                    _base_.m2f_head['head'],
                    in_channels=_base_.demo_m2f_width,
                    channels=32,
                    norm_cfg=_base_.demo_bn))),
        distill_losses=dict(
            loss_head_fit=head['distill_losses']['loss_head_fit']),
        loss_forward_mappings=dict(
            loss_dist_decode=dict(preds_T=_base_.m2f_head_logits),
            loss_dist_aux=dict(preds_T=_base_.m2f_head_logits),
            loss_head_fit=head['loss_forward_mappings']['loss_head_fit'])))
