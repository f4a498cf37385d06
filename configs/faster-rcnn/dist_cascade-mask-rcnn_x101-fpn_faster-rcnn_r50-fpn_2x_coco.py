# DIST: Cascade Mask R-CNN X-101-64x4d-FPN teacher -> Faster
# R-CNN R-50-FPN, COCO 2x (the paper's setting).
_base_ = ['./dist_faster-rcnn_r101-fpn_faster-rcnn_r50-fpn_2x_coco.py']

teacher_cfg = 'mmdet::cascade_rcnn/cascade-mask-rcnn_x101-64x4d_fpn_20e_coco.py'  # noqa: E501
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/cascade_rcnn/cascade_mask_rcnn_x101_64x4d_fpn_20e_coco/cascade_mask_rcnn_x101_64x4d_fpn_20e_coco_20200512_161033-bdb5126a.pth'  # noqa: E501

# The teacher scores the student's RoIs with its first stage, as the DIST
# authors do (their MasKD configs cut the cascade to num_stages=1): the later
# stages were trained on boxes refined once or twice. The recorded stage is
# the one that runs; the others never do.
model = dict(
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        teacher_recorders=dict(
            rcnn_cls=dict(source='roi_head.bbox_head.0.fc_cls'))))
