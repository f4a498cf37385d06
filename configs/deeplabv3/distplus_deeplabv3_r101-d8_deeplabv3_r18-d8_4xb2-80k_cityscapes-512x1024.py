# DIST+ for DeepLabV3 R-101-D8 -> R-18-D8: the PSPNet DIST+ recipe
# (stage-4 feature relations, acclimated bottleneck + conv_seg;
# configs/_base_/cityscapes_distillation.py).
_base_ = [
    'mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py',  # noqa: E501
    '../_base_/cityscapes_distillation.py',
]
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

teacher_cfg = 'mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py'  # noqa: E501
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x1024_80k_cityscapes/deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth'  # noqa: E501

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    acclimated_modules=_base_.cs_acclimated_modules,
    distiller=_base_.cs_distplus_distiller)

find_unused_parameters = False
# mmseg configs keep a top-level data_preprocessor that the Runner would hand
# to the algorithm; unset it so the student's own one is the only one.
data_preprocessor = None
optim_wrapper = dict(paramwise_cfg=_base_.cs_teacher_paramwise_cfg)
val_cfg = _base_.cs_teacher_val_cfg
custom_hooks = _base_.cs_teacher_guard
