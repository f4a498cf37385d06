# The DIST / DIST+ authors' Cityscapes setting (CIRKD codebase): teacher
# DeepLabV3-R101 for both students, 8 GPUs x 2 images of 512x1024, SGD lr
# 0.02, weight decay 5e-4, poly, 40k iterations. Only paper_* names, so it
# can sit beside a real base config. On 4 GPUs keep the batch of 16 with
#   --cfg-options train_dataloader.batch_size=4
paper_teacher_cfg = 'mmseg::deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py'  # noqa: E501
paper_teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r101-d8_512x1024_80k_cityscapes/deeplabv3_r101-d8_512x1024_80k_cityscapes_20200606_113503-9e428899.pth'  # noqa: E501
paper_iters = 40000
paper_optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))
paper_param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=paper_iters,
        by_epoch=False)
]
paper_train_cfg = dict(max_iters=paper_iters, val_interval=4000)
paper_default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000))
