# DIST (logits only): PSPNet R-101-D8 teacher -> PSPNet R-18-D8 student,
# Cityscapes 512x1024, 80k iterations, 4 GPUs x 2 images (the distiller:
# configs/_base_/cityscapes_distillation.py).
_base_ = [
    'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    '../_base_/cityscapes_distillation.py',
]
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

teacher_cfg = 'mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py'
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/pspnet/pspnet_r101-d8_512x1024_80k_cityscapes/pspnet_r101-d8_512x1024_80k_cityscapes_20200606_112211-e1e1100f.pth'  # noqa: E501

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.cs_dist_distiller)

find_unused_parameters = False
# mmseg configs keep a top-level data_preprocessor that the Runner would hand
# to the algorithm; unset it so the student's own one is the only one.
data_preprocessor = None
