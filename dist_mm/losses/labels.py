"""Segmentation label maps at the logits' resolution."""
from typing import Sequence

import torch.nn.functional as F
from torch import Tensor


def resize_labels(labels: Tensor, size: Sequence[int]) -> Tensor:
    """Nearest-resize an ``[N, H, W]`` or ``[N, 1, H, W]`` label map to
    ``[N, *size]`` (nearest keeps ignore labels as they are)."""
    if labels.ndim == 4:
        labels = labels[:, 0]
    if tuple(labels.shape[-2:]) == tuple(size):
        return labels
    return F.interpolate(
        labels[:, None].float(), size=tuple(size),
        mode='nearest')[:, 0].to(labels.dtype)


def valid_mask_from_labels(labels: Tensor,
                           size: Sequence[int],
                           ignore_index: int = 255) -> Tensor:
    """Bool ``[N, 1, *size]`` mask of the non-ignored pixels of a label map
    (``[N, H, W]`` or ``[N, 1, H, W]``) resized to the logits' ``size``."""
    return (resize_labels(labels, size) != ignore_index)[:, None]
