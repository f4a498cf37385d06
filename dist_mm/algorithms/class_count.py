"""The class count of a detector or segmentor, and the check that teacher
and student predict the same classes."""
from typing import Optional

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


def check_same_classes(student: nn.Module, teacher: nn.Module) -> None:
    n_s, n_t = num_classes(student), num_classes(teacher)
    if n_s is not None and n_t is not None and n_s != n_t:
        raise ValueError(
            f'teacher predicts {n_t} classes but the student {n_s}: logit '
            'distillation needs the same label set. Set num_classes of both '
            'model configs to the dataset\'s class count (and use a teacher '
            'checkpoint trained on it).')
