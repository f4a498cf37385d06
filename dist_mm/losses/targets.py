"""Task targets of dense logits: a label map, or per-anchor labels, laid
out as the logits they train."""
from typing import Optional, Tuple, Union

import torch.nn.functional as F
from torch import Tensor

from .base import anchor_view
from .labels import resize_labels


def dense_targets(preds: Tensor, target: Tensor,
                  name: str) -> Tuple[Tensor, Optional[Tensor]]:
    """Check ``target`` against the logits ``preds``.

    Args:
        preds: ``[N, C, H, W]`` dense or ``[R, C]`` instance logits.
        target: ``[R]`` for instance logits; for dense logits either the
            logits' spatial shape ``[N, H, W]`` or a label map at another
            resolution (``[N, H', W']`` or ``[N, 1, H', W']``).
        name: The loss, for the messages.

    Returns:
        tuple: the targets at the logits' resolution (a label map
        nearest-resized) and the label map at its own resolution when it
        differs (else None).
    """
    expected = preds.shape[:1] + preds.shape[2:]
    if preds.ndim == 4 and target.shape != expected:
        if target.ndim == 4 and target.shape[1] == 1:
            target = target[:, 0]
        if target.ndim != 3 or target.shape[0] != preds.shape[0]:
            raise ValueError(
                f'{name}: target {tuple(target.shape)} does not fit '
                f'logits {tuple(preds.shape)}; expected a label map '
                f'[N, H, W] with N={preds.shape[0]}.')
        return resize_labels(target, preds.shape[-2:]), target
    if target.shape != expected:
        raise ValueError(
            f'{name}: target {tuple(target.shape)} does not fit logits '
            f'{tuple(preds.shape)}; expected {tuple(expected)} (one '
            'target per instance, e.g. the sampled RoIs\' labels).')
    return target, None


def anchor_targets(preds: Tensor, target: Tensor, anchor_classes: Union[int,
                                                                        str],
                   name: str) -> Tuple[Tensor, Tensor]:
    """``[N, A*K, H, W]`` logits as ``[N, A, K, H, W]``, and per-anchor
    targets ``[N, H*W*A]`` (mmdet's order, ``AnchorHead.get_targets`` of
    one level) as ``[N, A, H, W]``."""
    view = anchor_view(preds, anchor_classes, name)
    n, a, _, h, w = view.shape
    if target.numel() != n * h * w * a:
        raise ValueError(
            f'{name}: anchor_classes={anchor_classes} needs '
            f'[N, H*W*A] = [{n}, {h * w * a}] per-anchor targets for '
            f'logits {tuple(preds.shape)}, got {tuple(target.shape)}.')
    return view, target.reshape(n, h, w, a).permute(0, 3, 1, 2)


def task_loss(preds: Tensor,
              target: Tensor,
              name: str,
              activation: str = 'softmax',
              ignore_index: int = 255,
              anchor_classes: Union[int, str, None] = None,
              align_corners: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
    """The task loss a head of the student's kind trains with, and its
    accuracy (:func:`~dist_mm.losses.relations.target_terms`).

    Dense logits given a label map of a higher resolution are upsampled
    bilinearly to it, as an mmseg decode head computes its loss; sigmoid
    anchor logits with ``anchor_classes`` take mmdet's per-anchor labels
    (:func:`anchor_targets`).
    """
    from .relations import target_terms
    if anchor_classes is not None:
        preds, target = anchor_targets(preds, target, anchor_classes, name)
        return target_terms(preds, target, 2, activation, ignore_index)
    target, label_map = dense_targets(preds, target, name)
    if label_map is not None:
        preds = F.interpolate(
            preds,
            label_map.shape[-2:],
            mode='bilinear',
            align_corners=align_corners)
        target = label_map
    return target_terms(preds, target, 1, activation, ignore_index)
