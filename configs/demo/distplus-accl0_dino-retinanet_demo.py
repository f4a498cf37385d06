# research: acclimation from the first iteration
_base_ = ['./distplus_dino-retinanet_demo.py']
custom_hooks = _base_.custom_hooks[:-1] + [
    dict(_base_.demo_acclimation_warmup, begin=0)
]
