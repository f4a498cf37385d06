"""Tiny real models and batches for tests, smoke runs and benchmarks
(like ``mmdet.testing``)."""
from ._demo import DEMO_CONFIGS, prepare_demo_dir
from ._det import (DEFORMABLE_DETR, DEFORMABLE_DETR_TWO_STAGE, DETR, DINO,
                   NUM_CLASSES, det_batch, tiny_detr_family, tiny_faster_rcnn,
                   tiny_resnet_fpn, tiny_retinanet)
from ._seg import (MASK2FORMER, MASKFORMER, SEG_CLASSES, seg_batch,
                   tiny_pspnet, tiny_query_segmentor, tiny_segformer,
                   tiny_swin_upernet)

__all__ = [
    'NUM_CLASSES', 'det_batch', 'tiny_faster_rcnn', 'tiny_resnet_fpn',
    'tiny_retinanet', 'SEG_CLASSES', 'seg_batch', 'tiny_pspnet',
    'DEMO_CONFIGS', 'prepare_demo_dir', 'tiny_detr_family', 'DINO',
    'DEFORMABLE_DETR', 'DEFORMABLE_DETR_TWO_STAGE', 'DETR',
    'tiny_query_segmentor', 'MASK2FORMER', 'MASKFORMER', 'tiny_segformer',
    'tiny_swin_upernet'
]
