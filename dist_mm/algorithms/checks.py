"""Checks that stop a distillation set-up that would train silently wrong."""
import difflib
from typing import Dict, List, Optional, Sequence, Set

import torch
from torch import Tensor, nn

from .model_info import normalisation, num_classes

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


def check_same_classes(student: nn.Module, teacher: nn.Module) -> None:
    n_s, n_t = num_classes(student), num_classes(teacher)
    if n_s is not None and n_t is not None and n_s != n_t:
        raise ValueError(
            f'teacher predicts {n_t} classes but the student {n_s}: logit '
            'distillation needs the same label set. Set num_classes of both '
            'model configs to the dataset\'s class count (and use a teacher '
            'checkpoint trained on it).')


def check_same_normalisation(student: nn.Module, teacher: nn.Module) -> None:
    """The teacher runs on the batch the student's data preprocessor made:
    both must normalise images alike (a caffe-style student and a
    torchvision-style teacher would feed the teacher BGR images with the
    wrong mean and scale, silently)."""
    n_s, n_t = normalisation(student), normalisation(teacher)
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


def check_arguments(distiller: Dict, kwargs: Dict) -> None:
    """What ``DISTPlusDistill`` refuses before it builds anything: a
    trainable teacher, ``distill_deliveries`` and an inconsistent distiller
    config (:func:`check_distiller_config`)."""
    if kwargs.get('teacher_trainable', False):
        raise ValueError('DISTPlusDistill trains only acclimated_modules '
                         'of the teacher; teacher_trainable is not '
                         'supported.')
    if distiller.get('distill_deliveries'):
        raise ValueError('DISTPlusDistill runs the teacher forward-only, '
                         'without the loss pass distill_deliveries take '
                         'their outputs from; they are not supported.')
    check_distiller_config(distiller)


def check_models(distiller: Dict, student: nn.Module, teacher: nn.Module,
                 teacher_pass, acclimated_modules: Sequence[str]) -> None:
    """The built pair against the distiller config: first what the teacher's
    family cannot run (its pass says why), then the recorders' modules, the
    class count and the images' normalisation.

    Raises:
        ValueError: saying what to change.
    """
    teacher_pass.check_sources(
        recorded_modules(distiller.get('teacher_recorders')) or ())
    teacher_pass.check_acclimated(acclimated_modules)
    check_recorder_sources(
        distiller.get('student_recorders'), student, 'student')
    check_recorder_sources(
        distiller.get('teacher_recorders'), teacher, 'teacher')
    check_same_classes(student, teacher)
    check_same_normalisation(student, teacher)


def check_finite_loss(loss: Tensor, log_vars: Dict[str, Tensor]) -> None:
    """Refuse a non-finite total loss before the optimizer steps on it, so
    that the weights and the checkpoints saved from them stay finite.

    Raises:
        FloatingPointError: naming the losses that are not finite.
    """
    if torch.isfinite(loss):
        return
    bad = ', '.join(f'{k}={v.item():g}' for k, v in log_vars.items()
                    if k != 'loss' and not torch.isfinite(v).all())
    raise FloatingPointError(
        f'The training loss is {loss.item():g} ({bad}); this step '
        'was not taken, so the weights and checkpoints stay '
        'finite. A learning rate too high for the task and '
        'distillation losses together is the usual cause: clip the '
        'gradient (optim_wrapper.clip_grad=dict(max_norm=10, '
        'norm_type=2)), lower the lr or lengthen its warm-up, and '
        'resume from the last checkpoint.')
