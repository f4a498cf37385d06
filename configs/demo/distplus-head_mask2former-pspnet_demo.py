# Demo of DIST+ through a fitted head with a query-based teacher (see
# configs/_base_/mask2former_teacher_cityscapes.py, m2f_head_distiller): the
# demo DIST+ Mask2Former -> PSPNet config, the head at the demo's widths.
_base_ = ['./distplus_mask2former-pspnet_demo.py']
model = dict(
    distiller=dict(
        teacher_recorders=dict(
            _delete_=True, **_base_.m2f_head_distiller['teacher_recorders']),
        connectors=dict(
            t_head=dict(
                _base_.m2f_head,
                head=dict(
                    _base_.m2f_head['head'],
                    in_channels=_base_.demo_m2f_width,
                    channels=32,
                    norm_cfg=_base_.demo_bn))),
        distill_losses=dict(
            loss_head_fit=_base_.m2f_head_distiller['distill_losses']
            ['loss_head_fit']),
        loss_forward_mappings=_base_.
        m2f_head_distiller['loss_forward_mappings']))
