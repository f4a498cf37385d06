# DIST (logits only) from a DETR-family teacher: DINO 5-scale Swin-L (COCO,
# zoo) -> RetinaNet R-50-FPN, COCO 2x. The teacher's two-stage encoder scores
# at strides 8-64 against the student's P3-P6 classification, each anchor
# against its position's scores; the DIST+ config adds the feature relations.
# docs/en/user_guides/stronger_teachers.md
_base_ = [
    'mmdet::retinanet/retinanet_r50_fpn_2x_coco.py',
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
        student_recorders=dict(
            cls=dict(type='ModuleOutputs', source='bbox_head.retina_cls')),
        teacher_recorders=dict(scores=_base_.dino_recorders['scores']),
        connectors=_base_.dino_connectors,
        distill_losses=_base_.dino_p3_logit_losses,
        loss_forward_mappings=_base_.dino_p3_logit_mappings))

find_unused_parameters = False
