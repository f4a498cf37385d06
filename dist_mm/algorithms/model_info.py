"""What distillation reads of a detector or segmentor: its class count and
how its data preprocessor normalises images."""
from typing import Dict, Optional

from torch import nn


def num_classes(model: nn.Module) -> Optional[int]:
    """Class count of a detector's or segmentor's (main) head."""
    for path in ('roi_head.bbox_head', 'bbox_head', 'decode_head'):
        module = model
        for part in path.split('.'):
            module = getattr(module, part, None)
        if isinstance(module, nn.ModuleList):  # cascade heads
            module = module[-1]
        value = getattr(module, 'num_classes', None)
        if isinstance(value, int):
            return value
    return None


def normalisation(model: nn.Module) -> Optional[tuple]:
    """``(mean, std, channel conversion)`` of a model's data preprocessor,
    or None when it does not normalise."""
    pre = getattr(model, 'data_preprocessor', None)
    if not getattr(pre, '_enable_normalize', False):
        return None
    conversion = getattr(pre, '_channel_conversion',
                         getattr(pre, 'channel_conversion', False))
    return (tuple(round(float(v), 4) for v in pre.mean.flatten()),
            tuple(round(float(v), 4)
                  for v in pre.std.flatten()), bool(conversion))


def resolve_anchor_classes(losses: Dict[str, nn.Module],
                           student: nn.Module) -> None:
    """Set the losses' ``anchor_classes='num_classes'`` (the contract's
    :data:`~dist_mm.losses.base.STUDENT_CLASSES`) to the student's class count,
    so that configs name no dataset's."""
    from ..losses.base import STUDENT_CLASSES
    for name, loss in losses.items():
        if getattr(loss, 'anchor_classes', None) != STUDENT_CLASSES:
            continue
        count = num_classes(student)
        if count is None:
            raise ValueError(
                f"{name}: anchor_classes='{STUDENT_CLASSES}', but the "
                f'student ({type(student).__name__}) has no head '
                'with num_classes; give the class count.')
        loss.anchor_classes = count
