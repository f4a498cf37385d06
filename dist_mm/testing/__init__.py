"""Tiny real models and batches for tests, smoke runs and benchmarks
(like ``mmdet.testing``)."""
from ._demo import DEMO_CONFIGS, prepare_demo_dir
from ._det import (NUM_CLASSES, det_batch, tiny_faster_rcnn, tiny_resnet_fpn,
                   tiny_retinanet)
from ._seg import SEG_CLASSES, seg_batch, tiny_pspnet

__all__ = [
    'NUM_CLASSES', 'det_batch', 'tiny_faster_rcnn', 'tiny_resnet_fpn',
    'tiny_retinanet', 'SEG_CLASSES', 'seg_batch', 'tiny_pspnet',
    'DEMO_CONFIGS', 'prepare_demo_dir'
]
