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


MASK2FORMER = 'mmseg::mask2former/' \
    'mask2former_r50_8xb2-90k_cityscapes-512x1024.py'
MASKFORMER = 'mmseg::maskformer/' \
    'maskformer_r50-d32_8xb2-160k_ade20k-512x512.py'
SEGFORMER = 'mmseg::segformer/' \
    'segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py'
SWIN_UPERNET = 'mmseg::swin/' \
    'swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py'
_BN = dict(type='BN', requires_grad=True)


def _tiny_seg(cfg_path: str, num_classes: int) -> ConfigDict:
    model = copy.deepcopy(get_config(cfg_path).model)
    model.pretrained = None
    model.backbone.init_cfg = None
    model.data_preprocessor.size = None
    model.data_preprocessor.size_divisor = 32
    model._scope_ = 'mmseg'
    for head in ('decode_head', 'auxiliary_head'):
        if model.get(head):
            model[head].num_classes = num_classes
            if 'norm_cfg' in model[head] and \
                    model[head].norm_cfg.type == 'SyncBN':
                model[head].norm_cfg = _BN
    return model


def tiny_query_segmentor(cfg_path: str = MASK2FORMER,
                         width: int = 8,
                         dims: int = 32,
                         num_classes: int = SEG_CLASSES) -> ConfigDict:
    """A mask-classification segmentor of mmseg's config ``cfg_path``
    (Mask2Former, MaskFormer) with a ResNet-18 of ``width`` base channels,
    a ``dims``-wide pixel decoder and transformer decoder (one encoder layer
    where it has one, two decoder layers, 4 heads) and 8 queries."""
    model = _tiny_seg(cfg_path, num_classes)
    model.backbone.update(depth=18, base_channels=width, norm_cfg=_BN)
    head = model.decode_head
    head.update(
        in_channels=[width * 2**i for i in range(4)],
        feat_channels=dims,
        out_channels=dims,
        num_queries=8)
    head.loss_cls.class_weight = [1.0] * num_classes + [0.1]
    pixel = head.pixel_decoder
    pixel.norm_cfg = dict(type='GN', num_groups=8)
    if 'encoder' in pixel:
        pixel.encoder.num_layers = 1
        pixel.encoder.layer_cfg.self_attn_cfg.update(
            embed_dims=dims, num_heads=4)
        pixel.encoder.layer_cfg.ffn_cfg.update(
            embed_dims=dims, feedforward_channels=2 * dims)
        pixel.positional_encoding.num_feats = dims // 2
    head.positional_encoding.num_feats = dims // 2
    decoder = head.transformer_decoder
    decoder.num_layers = 2
    for attn in ('self_attn_cfg', 'cross_attn_cfg'):
        decoder.layer_cfg[attn].update(embed_dims=dims, num_heads=4)
    decoder.layer_cfg.ffn_cfg.update(
        embed_dims=dims, feedforward_channels=2 * dims)
    if 'num_points' in head.train_cfg:
        head.train_cfg.num_points = 256
    return model


def tiny_segformer(width: int = 8,
                   num_classes: int = SEG_CLASSES) -> ConfigDict:
    """SegFormer (MiT) with ``width`` embedding channels, one layer per
    stage; its logits are at stride 4."""
    model = _tiny_seg(SEGFORMER, num_classes)
    model.backbone.update(embed_dims=width, num_layers=[1, 1, 1, 1])
    model.decode_head.update(
        in_channels=[width * h for h in model.backbone.num_heads],
        channels=2 * width)
    return model


def tiny_swin_upernet(width: int = 8,
                      num_classes: int = SEG_CLASSES) -> ConfigDict:
    """Swin UperNet with ``width`` embedding channels and one block per
    stage; decode head at stride 4, auxiliary FCN head at stride 16."""
    model = _tiny_seg(SWIN_UPERNET, num_classes)
    model.backbone.update(
        embed_dims=width, depths=[1, 1, 1, 1], num_heads=[1, 2, 4, 8])
    model.decode_head.update(
        in_channels=[width * 2**i for i in range(4)], channels=2 * width)
    model.auxiliary_head.update(in_channels=width * 4, channels=width)
    return model
