# DIST+ (logits and feature relations) from a query-based teacher: Mask2Former
# Swin-L (Cityscapes, zoo) -> PSPNet R-18-D8, Cityscapes 512x1024, the
# student's zoo schedule (80k iterations, 4 GPUs x 2 images). What is read
# and why: configs/_base_/mask2former_teacher_cityscapes.py and
# docs/en/user_guides/stronger_teachers.md.
_base_ = [
    'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    '../_base_/mask2former_teacher_cityscapes.py',
]
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=_base_.m2f_teacher_cfg),
    teacher_ckpt=_base_.m2f_teacher_ckpt,
    distiller=_base_.m2f_distplus_distiller)

find_unused_parameters = False
# mmseg configs keep a top-level data_preprocessor that the Runner would hand
# to the algorithm; unset it so the student's own one is the only one.
data_preprocessor = None
