"""Module names of a model: negative list indices, parameters under a
module, the modules that stay trainable."""
import difflib
from typing import List, Sequence

from torch import nn


def resolve_module_name(model: nn.Module, name: str) -> str:
    """``name`` with negative indices into module lists made positive, so
    that ``'bbox_head.cls_convs.-1'`` names the last stacked conv whatever
    the head's depth; other names are returned as they are."""
    parts, module = [], model
    for part in name.split('.'):
        if part.lstrip('-').isdigit() and int(part) < 0 and \
                isinstance(module, (nn.ModuleList, nn.Sequential)) and \
                -len(module) <= int(part):
            part = str(len(module) + int(part))
        parts.append(part)
        module = getattr(module, part, None)
        if module is None:
            break
    return '.'.join(parts)


def param_names_under(model: nn.Module, prefixes: List[str]) -> List[str]:
    """Names of the parameters of the modules named by ``prefixes``
    (negative indices count from the end of a module list)."""
    prefixes = [resolve_module_name(model, p) for p in prefixes]
    modules = dict(model.named_modules())
    missing = [p for p in prefixes if p not in modules]
    if missing:
        names = [n for n in modules if n]
        hints = {
            p: difflib.get_close_matches(p, names, n=3, cutoff=0.5)
            for p in missing
        }
        raise ValueError(f'acclimation modules not found in the teacher: '
                         f'{hints} (closest names listed).')
    return [
        name for name, _ in model.named_parameters()
        if any(name == p or name.startswith(p + '.') for p in prefixes)
    ]


def freeze_except(model: nn.Module, modules: Sequence[str]) -> List[str]:
    """Freeze ``model`` but the parameters of ``modules``
    (:func:`param_names_under`); returns the names of those."""
    names = param_names_under(model, list(modules))
    trainable = set(names)
    for name, param in model.named_parameters():
        param.requires_grad = name in trainable
    return names
