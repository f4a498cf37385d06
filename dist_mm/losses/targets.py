"""The task loss of a head the distillation trains (an acclimated teacher's,
a fitted head's), and its targets laid out as the logits: a label map, or
per-anchor labels."""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from mmdet.models.losses.focal_loss import py_sigmoid_focal_loss

from .base import anchor_view
from .labels import resize_labels
from .precision import full_precision, upcast
from .relations import masked_mean


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


def target_terms(logits: Tensor,
                 target: Tensor,
                 class_dim: int = 1,
                 activation: str = 'softmax',
                 ignore_index: int = 255) -> Tuple[Tensor, Optional[Tensor]]:
    """The task loss that keeps the target class on top, and accuracy.

    ``'softmax'``: cross-entropy of the target class, averaged over the
    instances whose target is not ``ignore_index``. ``'sigmoid'``: the
    sigmoid focal loss RetinaNet's ``loss_cls`` trains with (mmdet's
    ``FocalLoss`` defaults, gamma 2, alpha 0.25) against the one-hot target
    (``num_classes`` = background: all zeros), summed over classes and
    instances and divided by the foreground instances, as mmdet's
    ``avg_factor`` does (mmdet counts those of all FPN levels, here of the
    logits given). Plain binary cross-entropy averaged over the anchors,
    nearly all background, trained a RetinaNet teacher away from its own
    loss: it lost 3 val mAP in a DIST+ run
    (docs/en/design_decisions.md).

    Returns:
        tuple: the loss (float32, differentiable in ``logits``) and the
        fraction of instances whose top class is the target (foreground
        instances only with ``'sigmoid'``; None when there are none).
    """
    class_dim = class_dim % logits.ndim
    num_classes = logits.shape[class_dim]
    valid = target != ignore_index
    index = torch.where(valid, target, torch.zeros_like(target)).long()
    foreground = index < num_classes
    index = index.clamp(max=num_classes - 1).unsqueeze(class_dim)
    with full_precision(logits):
        x = upcast(logits)
        if activation == 'softmax':
            loss = -x.log_softmax(class_dim).gather(class_dim, index)
            loss = masked_mean(loss.squeeze(class_dim), valid)
            counted = valid
        else:
            onehot = torch.zeros_like(x).scatter_(
                class_dim, index,
                foreground.unsqueeze(class_dim).to(x.dtype))
            loss = py_sigmoid_focal_loss(
                x, onehot, gamma=2.0, alpha=0.25,
                reduction='none').sum(class_dim)
            counted = valid & foreground
            loss = (loss * valid).sum() / counted.sum().clamp_min(1)
        with torch.no_grad():
            hits = (x.argmax(class_dim) == index.squeeze(class_dim))[counted]
            accuracy = hits.float().mean() if hits.numel() else None
    return loss, accuracy


def task_loss(preds: Tensor,
              target: Tensor,
              name: str,
              activation: str = 'softmax',
              ignore_index: int = 255,
              anchor_classes: Union[int, str, None] = None,
              align_corners: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
    """The task loss a head of the student's kind trains with, and its
    accuracy (:func:`target_terms`).

    Dense logits given a label map of a higher resolution are upsampled
    bilinearly to it, as an mmseg decode head computes its loss; sigmoid
    anchor logits with ``anchor_classes`` take mmdet's per-anchor labels
    (:func:`anchor_targets`).
    """
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
