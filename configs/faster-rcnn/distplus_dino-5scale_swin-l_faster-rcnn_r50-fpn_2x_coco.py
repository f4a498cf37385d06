# DIST+ feature relations from a DETR-family teacher: DINO 5-scale Swin-L
# (COCO, zoo) -> Faster R-CNN R-50-FPN, COCO 2x. The teacher's five levels
# (strides 4-64) pair with the student's P2-P6: channel / spatial relations
# between each pair, through a student-side 1x1 conv.
# No logit distillation: the student classifies sampled RoIs, and the
# teacher has no RoI scores (its decoder scores its own queries, its
# encoder scores positions); the RPN's objectness is class-agnostic. No
# acclimation: of a DETR-family teacher only the encoder classifier can be
# acclimated, and this pair reads no scores.
# docs/en/user_guides/stronger_teachers.md
_base_ = [
    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py',
    '../_base_/dino_teacher_coco.py',
]
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=_base_.dino_teacher_cfg),
    teacher_ckpt=_base_.dino_teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(fpn=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(neck=_base_.dino_recorders['neck']),
        connectors=_base_.dino_feature_connectors,
        distill_losses=_base_.dino_feature_losses,
        loss_forward_mappings=_base_.dino_feature_mappings['p2']))

find_unused_parameters = False
