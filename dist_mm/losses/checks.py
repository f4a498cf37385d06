"""Input validation with messages that say what is wrong and how to fix it."""
from typing import Optional

from torch import Tensor


def check_pair(preds_s: Tensor,
               preds_t: Tensor,
               what: str,
               class_dim: Optional[int] = None) -> None:
    """Raise ``ValueError`` unless student and teacher tensors line up."""
    if preds_s.ndim != preds_t.ndim:
        raise ValueError(
            f'{what}: student {tuple(preds_s.shape)} and teacher '
            f'{tuple(preds_t.shape)} have different ranks; both must come '
            'from the same kind of layer (check the recorders\' sources).')
    if class_dim is not None and \
            preds_s.shape[class_dim] != preds_t.shape[class_dim]:
        raise ValueError(
            f'{what}: student predicts {preds_s.shape[class_dim]} classes '
            f'but teacher {preds_t.shape[class_dim]} (shapes '
            f'{tuple(preds_s.shape)} vs {tuple(preds_t.shape)}); teacher and '
            'student must share the label set: check num_classes in both '
            'model configs.')
    if preds_s.shape != preds_t.shape:
        raise ValueError(
            f'{what}: student {tuple(preds_s.shape)} and teacher '
            f'{tuple(preds_t.shape)} differ; dense logits must be recorded '
            'at the same stride for the same instances (for Faster R-CNN the '
            'teacher must score the student\'s RoIs).')


def check_mask(mask: Tensor, preds: Tensor, class_dim: int) -> None:
    """Raise unless ``mask`` is the logits' shape with a size-1 class dim."""
    expected = list(preds.shape)
    expected[class_dim] = 1
    squeezed = expected[:class_dim] + expected[class_dim + 1:]
    if list(mask.shape) not in (expected, squeezed):
        raise ValueError(
            f'valid_mask of shape {tuple(mask.shape)} does not fit logits of '
            f'shape {tuple(preds.shape)}: expected {tuple(expected)}. A label '
            'map at input resolution must be resized to the logits first: '
            'dist_mm.losses.valid_mask_from_labels(labels, '
            'logits.shape[-2:]).')
