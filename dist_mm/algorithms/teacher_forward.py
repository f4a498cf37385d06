"""Forward-only teacher passes: what the distillation losses need, no more.

The teacher computes no losses and no label assignment: detectors and
segmentors run their feature extractor and, when the recorded module names
are given, only the parts that lead to them (no neck when only backbone
stages are recorded, no decode / auxiliary head or RoI head that nothing
reads, only the classification branch of a RetinaNet-style head when only
its logits are read). A two-stage teacher scores the student's sampled RoIs,
so RoI logits of teacher and student line up one-to-one.
"""
from functools import reduce
from typing import Collection, List, Optional

import torch
from torch import Tensor, nn


def _is_two_stage(model: nn.Module) -> bool:
    from mmdet.models.detectors import TwoStageDetector
    return isinstance(model, TwoStageDetector)


def _is_single_stage(model: nn.Module) -> bool:
    from mmdet.models.detectors import SingleStageDetector
    return isinstance(model, SingleStageDetector)


def _is_encoder_decoder(model: nn.Module) -> bool:
    from mmseg.models.segmentors import EncoderDecoder
    return isinstance(model, EncoderDecoder)


def needs_student_rois(model: nn.Module) -> bool:
    """Whether the teacher's RoI head must score the student's RoIs."""
    return _is_two_stage(model)


def _reads(sources: Optional[Collection[str]], *prefixes: str) -> bool:
    """Whether a recorded source is one of ``prefixes`` or inside one
    (everything is read when ``sources`` is None)."""
    if sources is None:
        return True
    return any(s == p or s.startswith(p + '.') for s in sources
               for p in prefixes)


def _features(model: nn.Module, inputs: Tensor,
              sources: Optional[Collection[str]], heads: bool):
    """Backbone (+ neck unless only backbone stages are read)."""
    if heads or not getattr(model, 'with_neck', False) or \
            _reads(sources, 'neck'):
        return model.extract_feat(inputs)
    return model.backbone(inputs)


def _dense_head(head: nn.Module, feats,
                sources: Optional[Collection[str]], prefix: str):
    """A dense head, or only its classification branch (``cls_convs`` +
    ``retina_cls``) when nothing else of it is read."""
    branch = ('cls_convs', 'retina_cls')
    others = [f'{prefix}.{name}' for name, _ in head.named_children()
              if name not in branch]
    if sources is None or prefix in sources or _reads(sources, *others) \
            or not all(hasattr(head, name) for name in branch):
        return head(feats)
    return [head.retina_cls(reduce(lambda x, conv: conv(x), head.cls_convs,
                                   feat)) for feat in feats]


def _roi_head(teacher: nn.Module, feats, rois: Optional[Tensor]) -> List:
    """A two-stage teacher's RoI head scores ``rois`` (a cascade teacher
    with its last stage)."""
    if rois is None:
        raise RuntimeError(
            'a two-stage teacher scores the student\'s sampled RoIs, but none '
            'were recorded: the student must be a two-stage detector too and '
            'run its RoI head first.')
    # mmcv's RoIAlign reads NCHW memory whatever the strides (channels_last
    # input gives wrong values, silently) and has no bfloat16 kernel: pool
    # from contiguous float32 maps; the head's layers still autocast
    feats = tuple(f.to(torch.float32 if f.dtype == torch.bfloat16 else
                       f.dtype, memory_format=torch.contiguous_format)
                  for f in feats)
    roi_head = teacher.roi_head
    if hasattr(roi_head, 'num_stages'):  # cascade: the last stage scores
        return [roi_head._bbox_forward(roi_head.num_stages - 1, feats, rois)]
    return [roi_head._bbox_forward(feats, rois)]


def teacher_forward(teacher: nn.Module,
                    inputs: Tensor,
                    rois: Optional[Tensor] = None,
                    sources: Optional[Collection[str]] = None) -> List:
    """Run ``teacher`` forward-only on a preprocessed batch.

    Args:
        teacher: An mmdet detector or mmseg encoder-decoder segmentor (other
            models run ``mode='tensor'``).
        inputs: The batch after the data preprocessor.
        rois: For two-stage detectors, the student's sampled RoIs
            ``[R, 5]`` (batch index, x1, y1, x2, y2). A cascade teacher
            scores them with its last stage.
        sources: Names of the teacher modules whose outputs are recorded;
            parts that lead to none of them are skipped. None runs the
            whole forward-only pass.

    Returns:
        list: The head outputs (recorders pick what the losses use).
    """
    if _is_two_stage(teacher):
        heads = _reads(sources, 'roi_head')
        feats = _features(teacher, inputs, sources, heads)
        return _roi_head(teacher, feats, rois) if heads else [feats]
    if _is_single_stage(teacher):
        heads = _reads(sources, 'bbox_head')
        feats = _features(teacher, inputs, sources, heads)
        if not heads:
            return [feats]
        return [_dense_head(teacher.bbox_head, feats, sources, 'bbox_head')]
    if _is_encoder_decoder(teacher):
        aux = teacher.auxiliary_head if teacher.with_auxiliary_head else []
        named = [(f'auxiliary_head.{i}', head) for i, head in enumerate(aux)] \
            if isinstance(aux, nn.ModuleList) else \
            [('auxiliary_head', aux)] if teacher.with_auxiliary_head else []
        read_aux = [head for name, head in named if _reads(sources, name)]
        read_decode = _reads(sources, 'decode_head')
        feats = _features(teacher, inputs, sources,
                          bool(read_aux) or read_decode)
        outs = [teacher.decode_head(feats)] if read_decode else [feats]
        return outs + [head(feats) for head in read_aux]
    return [teacher(inputs, None, mode='tensor')]
