"""Tiny real mmdet models and batches for CPU tests and smoke runs.

Models come from mmdet's own configs (``mmdet::``) with the widths shrunk,
so the same classes, heads and assigners run as in the real benchmarks.
"""
import copy
from typing import Dict, List

import torch

from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.hub import get_config
from mmengine.structures import InstanceData

NUM_CLASSES = 3
FASTER_RCNN = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'


def tiny_resnet_fpn(model: Dict, width: int, depth: int = 18) -> Dict:
    """Shrink an mmdet ResNet-FPN model config in place and return it."""
    model.backbone.update(
        depth=depth, base_channels=width, init_cfg=None, frozen_stages=-1)
    expansion = 1 if depth < 50 else 4
    model.neck.in_channels = [width * expansion * 2**i for i in range(4)]
    model.neck.out_channels = 16
    return model


def tiny_faster_rcnn(width: int = 8,
                     num_classes: int = NUM_CLASSES) -> ConfigDict:
    """Faster R-CNN R-18-FPN with ``width`` base channels, 16-ch FPN."""
    model = copy.deepcopy(get_config(FASTER_RCNN).model)
    tiny_resnet_fpn(model, width)
    model.rpn_head.update(in_channels=16, feat_channels=16)
    model.roi_head.bbox_roi_extractor.out_channels = 16
    model.roi_head.bbox_head.update(
        in_channels=16, fc_out_channels=32, num_classes=num_classes)
    model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=64)
    model.train_cfg.rcnn.sampler.num = 32
    model.test_cfg.rpn.update(nms_pre=200, max_per_img=64)
    model._scope_ = 'mmdet'
    return model


def det_batch(num_images: int = 2,
              size: int = 64,
              num_classes: int = NUM_CLASSES,
              seed: int = 0) -> Dict:
    """A batch in the format mmdet's data preprocessor takes."""
    gen = torch.Generator().manual_seed(seed)
    inputs: List[torch.Tensor] = []
    samples: List[DetDataSample] = []
    for _ in range(num_images):
        inputs.append(
            torch.randint(
                0, 256, (3, size, size), generator=gen, dtype=torch.uint8))
        xy = torch.rand(3, 2, generator=gen) * size * 0.5
        wh = torch.rand(3, 2, generator=gen) * size * 0.4 + 8
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size),
                scale_factor=(1.0, 1.0),
                batch_input_shape=(size, size)))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, (xy + wh).clamp(max=size - 1)], 1),
            labels=torch.randint(0, num_classes, (3, ), generator=gen))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


RETINANET = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'


def tiny_retinanet(width: int = 8,
                   num_classes: int = NUM_CLASSES) -> ConfigDict:
    """RetinaNet R-18-FPN with ``width`` base channels, 16-ch FPN/head."""
    model = copy.deepcopy(get_config(RETINANET).model)
    tiny_resnet_fpn(model, width)
    model.bbox_head.update(
        in_channels=16,
        feat_channels=16,
        stacked_convs=1,
        num_classes=num_classes)
    model.test_cfg.update(nms_pre=100, max_per_img=20)
    model._scope_ = 'mmdet'
    return model


DINO = 'mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py'
DEFORMABLE_DETR = 'mmdet::deformable_detr/' \
    'deformable-detr_r50_16xb2-50e_coco.py'
DEFORMABLE_DETR_TWO_STAGE = 'mmdet::deformable_detr/' \
    'deformable-detr-refine-twostage_r50_16xb2-50e_coco.py'
DETR = 'mmdet::detr/detr_r50_8xb2-150e_coco.py'


def tiny_detr_family(cfg_path: str = DINO,
                     width: int = 8,
                     dims: int = 32,
                     num_classes: int = NUM_CLASSES) -> ConfigDict:
    """A DETR-family detector of mmdet's config ``cfg_path`` (DINO,
    Deformable DETR, DETR...) with a ResNet-18 of ``width`` base channels,
    ``dims``-wide transformer layers (one encoder layer, two decoder
    layers, 4 heads) and 20 queries. Two-stage models (DINO) keep
    256-wide layers: they encode proposals and reference points with 128
    features per coordinate."""
    model = copy.deepcopy(get_config(cfg_path).model)
    if model.get('as_two_stage'):
        dims = 256
    model.backbone.update(
        depth=18,
        base_channels=width,
        init_cfg=None,
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False)
    model.neck.update(
        in_channels=[width * 2**i for i in model.backbone.out_indices],
        out_channels=dims,
        **(dict(norm_cfg=dict(type='GN', num_groups=8))
           if model.neck.get('norm_cfg') else {}))
    ffn = dict(embed_dims=dims, feedforward_channels=2 * dims)
    for part in ('encoder', 'decoder'):
        layer = model[part].layer_cfg
        for attn in ('self_attn_cfg', 'cross_attn_cfg'):
            if attn in layer:
                layer[attn].update(embed_dims=dims, num_heads=4)
        layer.ffn_cfg.update(ffn)
    model.encoder.num_layers, model.decoder.num_layers = 1, 2
    model.positional_encoding.num_feats = dims // 2
    model.num_queries = 20
    model.bbox_head.update(num_classes=num_classes, embed_dims=dims)
    if 'dn_cfg' in model:
        model.dn_cfg.group_cfg.num_dn_queries = 10
    model._scope_ = 'mmdet'
    return model
