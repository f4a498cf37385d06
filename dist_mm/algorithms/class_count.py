"""The class count of a detector or segmentor; the checks that teacher and
student predict the same classes and read the same normalised images."""
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


def _normalisation(model: nn.Module) -> Optional[tuple]:
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


def check_same_normalisation(student: nn.Module, teacher: nn.Module) -> None:
    """The teacher runs on the batch the student's data preprocessor made:
    both must normalise images alike (a caffe-style student and a
    torchvision-style teacher would feed the teacher BGR images with the
    wrong mean and scale, silently)."""
    n_s, n_t = _normalisation(student), _normalisation(teacher)
    if n_s is None or n_t is None or n_s == n_t:
        return
    what = 'mean {}, std {}, channel conversion {}'
    raise ValueError(
        'the teacher runs on the batch the student\'s data_preprocessor '
        'makes, but they normalise images differently: student ' +
        what.format(*n_s) + '; teacher ' + what.format(*n_t) + '. Give the '
        'student the teacher\'s mean, std and bgr_to_rgb (and a backbone '
        'pre-trained that way), or pick a teacher normalised like the '
        'student.')
