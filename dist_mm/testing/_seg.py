"""Tiny real mmseg models and batches for CPU tests and smoke runs."""
import copy
from typing import Dict, List

import torch

from mmengine.config import ConfigDict
from mmengine.hub import get_config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

PSPNET = 'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
SEG_CLASSES = 19


def tiny_pspnet(width: int = 8, num_classes: int = SEG_CLASSES) -> ConfigDict:
    """PSPNet R-18-D8 (ResNetV1c) with ``width`` base channels and BN (the
    Cityscapes config uses SyncBN, which needs a process group)."""
    model = copy.deepcopy(get_config(PSPNET).model)
    bn = dict(type='BN', requires_grad=True)
    model.pretrained = None
    model.backbone.update(
        stem_channels=width, base_channels=width, norm_cfg=bn)
    model.decode_head.update(
        in_channels=width * 8,
        channels=width * 2,
        num_classes=num_classes,
        norm_cfg=bn)
    model.auxiliary_head.update(
        in_channels=width * 4,
        channels=width,
        num_classes=num_classes,
        norm_cfg=bn)
    model.data_preprocessor.size = None
    model.data_preprocessor.size_divisor = 8
    model._scope_ = 'mmseg'
    return model


def seg_batch(num_images: int = 2,
              size=(32, 64),
              num_classes: int = SEG_CLASSES,
              seed: int = 0) -> Dict:
    """A batch in the format mmseg's data preprocessor takes; a tenth of
    the label pixels are the ignore label 255."""
    gen = torch.Generator().manual_seed(seed)
    inputs: List[torch.Tensor] = []
    samples: List[SegDataSample] = []
    h, w = size
    for _ in range(num_images):
        inputs.append(
            torch.randint(0, 256, (3, h, w), generator=gen, dtype=torch.uint8))
        label = torch.randint(0, num_classes, (1, h, w), generator=gen)
        label[torch.rand(1, h, w, generator=gen) < 0.1] = 255
        sample = SegDataSample(
            metainfo=dict(
                img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
