"""Checks that stop a distillation set-up that would train silently wrong."""
import difflib
from typing import Dict, List, Optional, Set

from torch import nn

MODULE_RECORDERS = ('ModuleOutputs', 'ModuleInputs')


def check_recorder_sources(recorders: Optional[Dict], model: nn.Module,
                           side: str) -> None:
    """Every module recorder config must name a module of ``model``.

    Args:
        recorders: ``student_recorders`` / ``teacher_recorders`` configs.
        model: The model they record from.
        side: ``'student'`` or ``'teacher'``, for the message.

    Raises:
        ValueError: naming the recorder and the closest module names.
    """
    names = [name for name, _ in model.named_modules() if name]
    for key, cfg in (recorders or {}).items():
        rtype = str(cfg.get('type', '')).split('.')[-1]
        if rtype.replace('Recorder', '') not in MODULE_RECORDERS:
            continue
        source = cfg.get('source')
        if source in names:
            continue
        close = difflib.get_close_matches(str(source), names, n=5, cutoff=0.5)
        if not close:
            prefix = str(source).rsplit('.', 1)[0]
            close = [n for n in names if n.startswith(prefix)][:5]
        raise ValueError(
            f'{side} recorder {key!r}: source {source!r} is not a module '
            f'of the {side} ({type(model).__name__}). Closest module '
            f'names: {close or names[:5]}.')


def _unknown(name: str, known, what: str) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=5, cutoff=0.5)
    return (f'{what} {name!r} is not defined. Closest: '
            f'{close or sorted(known)[:10]}.')


def _registered_names(registry) -> List[str]:
    names, current = [], registry
    while current is not None:
        names += list(current.module_dict)
        current = current.parent
    return names


def check_distiller_config(distiller: Dict) -> None:
    """Loss types, and the recorders / connectors the losses read from,
    must exist; checked before anything is built, with the closest names.

    Raises:
        ValueError: naming the missing item and the closest defined ones.
    """
    from mmrazor.registry import MODELS
    losses = distiller.get('distill_losses') or {}
    for name, cfg in losses.items():
        loss_type = cfg.get('type')
        if isinstance(loss_type, str) and MODELS.get(loss_type) is None:
            raise ValueError(
                'distill_losses.' + name + ': ' +
                _unknown(loss_type, _registered_names(MODELS), 'loss type') +
                ' (a class of your own must be imported, e.g. through '
                'custom_imports, to be registered).')
    sides = {
        True: distiller.get('student_recorders') or {},
        False: distiller.get('teacher_recorders') or {}
    }
    connectors = distiller.get('connectors') or {}
    for loss_name, mapping in (distiller.get('loss_forward_mappings')
                               or {}).items():
        if loss_name not in losses:
            raise ValueError('loss_forward_mappings: ' +
                             _unknown(loss_name, losses, 'distill loss'))
        for arg, info in mapping.items():
            where = f'loss_forward_mappings.{loss_name}.{arg}'
            student = info.get('from_student')
            recorders = sides.get(student)
            if recorders is None:
                raise ValueError(f'{where}: from_student must be True or '
                                 f'False, got {student!r}.')
            side = 'student' if student else 'teacher'
            if info.get('recorder') not in recorders:
                raise ValueError(f'{where}: ' + _unknown(
                    info.get('recorder'), recorders, f'{side} recorder'))
            if 'connector' in info and info['connector'] not in connectors:
                raise ValueError(
                    f'{where}: ' +
                    _unknown(info['connector'], connectors, 'connector'))


def recorded_modules(recorders: Optional[Dict]) -> Optional[Set[str]]:
    """Sources of the module recorders, or None if any recorder is of
    another type (a method or function recorder can fire anywhere)."""
    sources = set()
    for cfg in (recorders or {}).values():
        rtype = str(cfg.get('type', '')).split('.')[-1]
        if rtype.replace('Recorder', '') not in MODULE_RECORDERS:
            return None
        sources.add(cfg['source'])
    return sources
