# DIST, the paper's Cityscapes row: DeepLabV3 R-101-D8 teacher
# -> DeepLabV3 R-18-D8, with the authors' schedule:
# 8 GPUs x 2 images, lr 0.02, 40k iterations (configs/_base_/
# paper_cityscapes_8xb2-40k.py; on 4 GPUs add
# --cfg-options train_dataloader.batch_size=4).
_base_ = [
    'mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py',  # noqa: E501
    '../_base_/cityscapes_distillation.py',
    '../_base_/paper_cityscapes_8xb2-40k.py',
]
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=_base_.paper_teacher_cfg),
    teacher_ckpt=_base_.paper_teacher_ckpt,
    distiller=_base_.cs_dist_distiller)

find_unused_parameters = False
# mmseg configs keep a top-level data_preprocessor that the Runner would hand
# to the algorithm; unset it so the student's own one is the only one.
data_preprocessor = None
optim_wrapper = _base_.paper_optim_wrapper
param_scheduler = _base_.paper_param_scheduler
train_cfg = _base_.paper_train_cfg
default_hooks = _base_.paper_default_hooks
