# DIST (logits only): Faster R-CNN R-101-FPN teacher -> R-50-FPN student,
# COCO 2x. The teacher's RoI head scores the student's sampled RoIs and
# DIST relates the [num_rois, 81] RoI class logits (softmax, tau = 1).
_base_ = ['mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py']
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

teacher_cfg = 'mmdet::faster_rcnn/faster-rcnn_r101_fpn_2x_coco.py'
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r101_fpn_2x_coco/faster_rcnn_r101_fpn_2x_coco_bbox_mAP-0.398_20200504_210455-1d2dac9c.pth'  # noqa: E501

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
            rcnn_cls=dict(
                type='ModuleOutputs', source='roi_head.bbox_head.fc_cls')),
        teacher_recorders=dict(
            rcnn_cls=dict(
                type='ModuleOutputs', source='roi_head.bbox_head.fc_cls')),
        distill_losses=dict(
            loss_dist_rcnn=dict(
                type='DISTLogitLoss',
                inter_weight=1.0,
                intra_weight=1.0,
                tau=1.0,
                loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_dist_rcnn=dict(
                preds_S=dict(from_student=True, recorder='rcnn_cls'),
                preds_T=dict(from_student=False, recorder='rcnn_cls')))))

find_unused_parameters = False
