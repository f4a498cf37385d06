"""Checks that stop a distillation set-up that would train silently wrong."""
import difflib
from typing import Dict, List, Optional

from mmengine.runner import load_checkpoint
from torch import nn


def check_recorder_sources(recorders: Dict, model: nn.Module,
                           side: str) -> None:
    """Every module recorder must name a module of ``model``.

    Raises:
        ValueError: naming the recorder and the closest module names.
    """
    from mmrazor.models.task_modules.recorder import (ModuleInputsRecorder,
                                                      ModuleOutputsRecorder)
    names = [name for name, _ in model.named_modules() if name]
    for key, recorder in recorders.items():
        if not isinstance(recorder,
                          (ModuleOutputsRecorder, ModuleInputsRecorder)):
            continue
        if recorder.source in names:
            continue
        close = difflib.get_close_matches(recorder.source, names, n=5,
                                          cutoff=0.5)
        if not close:
            prefix = recorder.source.rsplit('.', 1)[0]
            close = [n for n in names if n.startswith(prefix)][:5]
        raise ValueError(
            f'{side} recorder {key!r}: source {recorder.source!r} is not a '
            f'module of the {side} ({type(model).__name__}). Closest module '
            f'names: {close or names[:5]}.')


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


def load_teacher_checkpoint(teacher: nn.Module, filename: str) -> Dict:
    """Load the teacher strictly: refuse any missing, unexpected or
    mis-shaped key instead of distilling from a partly random teacher."""
    try:
        return load_checkpoint(teacher, filename, map_location='cpu',
                               strict=True, revise_keys=[(r'^module\.', '')])
    except RuntimeError as err:
        raise RuntimeError(
            f'teacher checkpoint {filename!r} does not fit the teacher model '
            f'({type(teacher).__name__}); refusing to distill from a '
            'partly random teacher. Check that teacher config and checkpoint '
            f'are the same architecture and class count.\n{err}') from err


def param_names_under(model: nn.Module, prefixes: List[str]) -> List[str]:
    """Names of the parameters of the modules named by ``prefixes``."""
    modules = dict(model.named_modules())
    missing = [p for p in prefixes if p not in modules]
    if missing:
        names = [n for n in modules if n]
        hints = {p: difflib.get_close_matches(p, names, n=3, cutoff=0.5)
                 for p in missing}
        raise ValueError(f'acclimation modules not found in the teacher: '
                         f'{hints} (closest names listed).')
    return [name for name, _ in model.named_parameters()
            if any(name == p or name.startswith(p + '.') for p in prefixes)]
