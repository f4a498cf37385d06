# DIST (logits only): DeepLabV3 R-101-D8 teacher ->
# DeepLabV3 R-18-D8, Cityscapes 512x1024, 80k iterations: the
# PSPNet recipe with both models swapped (same dataset and schedule).
_base_ = [
    '../pspnet/dist_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'  # noqa: E501
]

student_cfg = 'mmseg::deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py'  # noqa: E501
teacher_cfg = 'mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py'  # noqa: E501
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x1024_80k_cityscapes/deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth'  # noqa: E501

model = dict(
    architecture=dict(_delete_=True, cfg_path=student_cfg),
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt)
