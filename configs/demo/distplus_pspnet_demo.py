# Demo of the DISTPLUS config: the real PSPNet R-101 -> R-18 Cityscapes config
# with the demo data, CPU-sized models, the demo teacher and schedule.
_base_ = [
    '../pspnet/distplus_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',  # noqa: E501
    './_synthetic_cityscapes.py',
]
model = dict(
    architecture=_base_.demo_student,
    teacher=dict(override=_base_.demo_teacher),
    teacher_ckpt=_base_.demo_teacher_ckpt)
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
optim_wrapper = _base_.demo_optim_wrapper
param_scheduler = _base_.demo_param_scheduler
train_cfg = _base_.demo_train_cfg
custom_hooks = _base_.custom_hooks + [_base_.demo_acclimation_warmup]
default_hooks = _base_.demo_default_hooks
visualizer = dict(vis_backends=_base_.demo_vis_backends)
student_channels = 128  # demo widths for the stage-4 feature connector
teacher_channels = 512
# Toy scale only: students trained from scratch lose much with the paper's
# weight 1 on the stage-4 channel / spatial relations, so the demo uses 0.02
# (docs/en/design_decisions.md, "Feature relations at toy scale"). The real
# configs keep the paper's weight 1.
demo_feature_weight = 0.02
model.update(
    distiller=dict(
        connectors=dict(
            feat_s=dict(
                in_channel=student_channels, out_channel=teacher_channels)),
        distill_losses=dict(
            loss_dist_feat=dict(loss_weight=demo_feature_weight),
            **_base_.demo_logit_losses)))
