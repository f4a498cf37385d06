# Demo of the DIST+ config with a query-based teacher: the real Mask2Former
# Swin-L -> PSPNet R-18 Cityscapes config with the demo data, the CPU-sized
# demo Mask2Former teacher and PSPNet student, and the demo schedule.
_base_ = [
    '../pspnet/distplus_mask2former_swin-l_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',  # noqa: E501
    './_synthetic_cityscapes.py',
]
model = dict(
    architecture=_base_.demo_student,
    teacher=dict(override=_base_.demo_mask2former),
    teacher_ckpt=_base_.demo_mask2former_ckpt,
    # the demo widths of the stage-4 feature connector, and the demo's
    # weight of the feature relations (as in distplus_pspnet_demo.py)
    distiller=dict(
        connectors=dict(
            feat_s=dict(in_channel=128, out_channel=_base_.demo_m2f_width)),
        distill_losses=dict(
            loss_dist_feat=dict(loss_weight=0.02),
            **_base_.demo_logit_losses)))
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
optim_wrapper = _base_.demo_optim_wrapper
param_scheduler = _base_.demo_param_scheduler
train_cfg = _base_.demo_train_cfg
default_hooks = _base_.demo_default_hooks
visualizer = dict(vis_backends=_base_.demo_vis_backends)
