# Demo of the DIST+ config: the real Faster R-CNN R-101 -> R-50 COCO config
# with the demo data, CPU-sized models, the demo teacher and schedule.
# Toy scale only, as in the PSPNet DIST+ demo: at the paper's weight 1 the
# FPN channel / spatial relations cost this width-8 student trained from
# scratch, so the demo uses 0.02 (docs/en/design_decisions.md, "Feature
# relations at toy scale"). The real configs keep the paper's weight 1.
demo_feature_weight = 0.02
_base_ = [
    '../faster-rcnn/distplus_faster-rcnn_r101-fpn_faster-rcnn_r50-fpn_2x_coco.py',  # noqa: E501
    './_synthetic_coco.py',
]
model = dict(
    architecture=_base_.demo_faster_rcnn_student,
    teacher=dict(override=_base_.demo_faster_rcnn_teacher),
    teacher_ckpt=_base_.demo_faster_rcnn_teacher_ckpt,
    distiller=dict(
        connectors=_base_.demo_fpn_connectors,
        distill_losses={
            name: dict(loss_weight=demo_feature_weight)
            for name in _base_.fpn_relation_losses
        }))
train_dataloader = _base_.demo_train_dataloader
val_dataloader = _base_.demo_test_dataloader
test_dataloader = _base_.demo_test_dataloader
val_evaluator = _base_.demo_test_evaluator
test_evaluator = _base_.demo_test_evaluator
optim_wrapper = _base_.demo_optim_wrapper
param_scheduler = _base_.demo_param_scheduler
train_cfg = _base_.demo_train_cfg
custom_hooks = _base_.custom_hooks + [_base_.demo_acclimation_warmup]
default_hooks = _base_.demo_default_hooks
visualizer = dict(vis_backends=_base_.demo_vis_backends)
log_processor = _base_.demo_log_processor
