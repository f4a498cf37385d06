# research: the acclimated classifier at 1/10 of the student's lr
_base_ = ['./distplus_dino-retinanet_demo.py']
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'teacher.': dict(lr_mult=0.1, decay_mult=0.0)}))
