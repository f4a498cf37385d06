# DIST (logits only): RetinaNet X-101-64x4d-FPN teacher ->
# RetinaNet R-50-FPN, COCO 2x. As in the original DIST code, the A*K = 720
# sigmoid outputs of a position form the class vector, one DIST loss per FPN
# level (P3-P7, weight 1 each), no foreground masking. Set
# anchor_classes='num_classes' in the losses for the anchor-aware variant.
_base_ = ['mmdet::retinanet/retinanet_r50_fpn_2x_coco.py']
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

teacher_cfg = 'mmdet::retinanet/retinanet_x101-64x4d_fpn_1x_coco.py'
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_x101_64x4d_fpn_1x_coco/retinanet_x101_64x4d_fpn_1x_coco_20200130-366f5af1.pth'  # noqa: E501

levels = 5
# retina_cls runs once per FPN level: record i of the recorder is level i.
logit_losses = {
    f'loss_dist_cls{i}':
    dict(
        type='DISTLogitLoss',
        activation='sigmoid',
        inter_weight=1.0,
        intra_weight=1.0,
        tau=1.0,
        loss_weight=1.0)
    for i in range(levels)
}
logit_mappings = {
    f'loss_dist_cls{i}':
    dict(
        preds_S=dict(from_student=True, recorder='cls', record_idx=i),
        preds_T=dict(from_student=False, recorder='cls', record_idx=i))
    for i in range(levels)
}

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            cls=dict(type='ModuleOutputs', source='bbox_head.retina_cls')),
        teacher_recorders=dict(
            cls=dict(type='ModuleOutputs', source='bbox_head.retina_cls')),
        distill_losses=logit_losses,
        loss_forward_mappings=logit_mappings))

find_unused_parameters = False
