"""The DIST+ distillation algorithm: MMRazor ``SingleTeacherDistill`` with a
forward-only, strictly loaded, optionally acclimated teacher."""
import contextlib
import logging
from functools import partial
from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor

from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmrazor.models.algorithms import SingleTeacherDistill
from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODELS

from ..losses import RelationLoss
from ..losses.base import NUM_CLASSES
from .builder import build_model
from .checks import (check_distiller_config, check_recorder_sources,
                     recorded_modules)
from .class_count import (check_same_classes, check_same_normalisation,
                          num_classes)
from .module_names import param_names_under
from .teacher_checkpoint import load_teacher_checkpoint
from .teacher_passes import build_teacher_pass


@MODELS.register_module()
class DISTPlusDistill(SingleTeacherDistill):
    """DIST / DIST+ distillation between a teacher and a student.

    Differences from ``SingleTeacherDistill`` (which it extends):

    * the teacher runs forward-only (no losses, no label assignment, only
      the parts that lead to recorded modules), through the teacher pass of
      its model family (:mod:`dist_mm.algorithms.teacher_passes`; a family
      without one is refused at build), before the student (when it scores
      the student's RoIs: when the student's RoI head is about to pool
      them), under ``no_grad`` unless parts of it are acclimated;
    * a two-stage teacher scores exactly the student's sampled RoIs;
    * the whole teacher stays in eval mode (dropout and drop-path too);
    * the teacher checkpoint is loaded strictly, teacher and student must
      predict the same classes, and every module recorder must name a
      module of its model;
    * ``acclimated_modules`` of the teacher (e.g. its last stage and
      classification head) stay trainable, for the teacher-acclimation loss;
      give them their own learning rate with the optimizer's
      ``paramwise_cfg=dict(custom_keys={'teacher.': dict(lr_mult=...)})``;
    * the unweighted relation terms of each DIST loss (``inter``/``intra``,
      ``channel``/``spatial``, ``nontarget``/``target``) are logged as
      ``rel.<loss>.<term>``, and the acclimated teacher's accuracy on the
      training batch as ``teacher.train_acc``.

    Args:
        distiller (dict): ``ConfigurableDistiller`` config.
        teacher (dict | BaseModel): Teacher model, its config, or
            ``dict(cfg_path='mmdet::...', override=dict(...))``
            (see :func:`~dist_mm.algorithms.build_model`); ``architecture``
            likewise.
        teacher_ckpt (str, optional): Teacher checkpoint, loaded strictly.
        acclimated_modules (Sequence[str]): Teacher module names whose
            parameters stay trainable. Empty: the teacher is frozen.
        log_relation_terms (bool): Log the relation terms.
        truncate_teacher (bool): Run only the teacher parts that lead to a
            recorded module (see the teacher passes). Needs module
            recorders only; with another recorder type the whole
            forward-only pass runs.
        teacher_autocast (str, optional): Precision of the teacher forward,
            independent of the student's: ``'bfloat16'`` or ``'float16'``
            (autocast), ``'float32'`` (autocast off, also under AMP), or
            None to follow the surrounding context (the default).
        teacher_channels_last (bool): Keep the teacher's weights and inputs
            in ``channels_last`` memory format.
        **kwargs: Other ``SingleTeacherDistill`` arguments (``architecture``,
            ``data_preprocessor``, ``calculate_student_loss``...).
    """

    def __init__(self,
                 distiller: dict,
                 teacher,
                 teacher_ckpt: Optional[str] = None,
                 acclimated_modules: Sequence[str] = (),
                 log_relation_terms: bool = True,
                 truncate_teacher: bool = True,
                 teacher_autocast: Optional[str] = None,
                 teacher_channels_last: bool = False,
                 **kwargs) -> None:
        if kwargs.pop('teacher_trainable', False):
            raise ValueError('DISTPlusDistill trains only acclimated_modules '
                             'of the teacher; teacher_trainable is not '
                             'supported.')
        if distiller.get('distill_deliveries'):
            raise ValueError('DISTPlusDistill runs the teacher forward-only, '
                             'without the loss pass distill_deliveries take '
                             'their outputs from; they are not supported.')
        check_distiller_config(distiller)
        # Build both models first so that recorders are checked before
        # MMRazor attaches them (it only asserts, without names to pick).
        student = build_model(kwargs.pop('architecture'))
        teacher = build_model(teacher)
        teacher_sources = recorded_modules(distiller.get('teacher_recorders'))
        # the family's pass first: it refuses what its family cannot run,
        # saying why, before the generic checks
        teacher_pass = build_teacher_pass(
            teacher, teacher_sources if truncate_teacher else None)
        teacher_pass.check_sources(teacher_sources or ())
        if acclimated_modules and teacher_pass.acclimation_refused:
            raise ValueError(
                f'acclimated_modules={list(acclimated_modules)}: a '
                f'{type(teacher).__name__} teacher cannot be acclimated: '
                f'{teacher_pass.acclimation_refused}.')
        check_recorder_sources(
            distiller.get('student_recorders'), student, 'student')
        check_recorder_sources(
            distiller.get('teacher_recorders'), teacher, 'teacher')
        check_same_classes(student, teacher)
        check_same_normalisation(student, teacher)
        super().__init__(
            distiller,
            teacher,
            teacher_ckpt=None,
            teacher_trainable=False,
            architecture=student,
            **kwargs)
        self._resolve_anchor_classes()
        if teacher_ckpt:
            load_teacher_checkpoint(self.teacher, teacher_ckpt)
            self.teacher._is_init = True  # keep it through init_weights()
        else:
            print_log(
                'DISTPlusDistill: no teacher_ckpt given, the teacher '
                'keeps the weights its own config initialises (random '
                'unless its init_cfg loads a checkpoint).',
                logger='current',
                level=logging.WARNING)
        self.acclimated_params: List[str] = param_names_under(
            self.teacher, list(acclimated_modules))
        trainable = set(self.acclimated_params)
        for name, param in self.teacher.named_parameters():
            param.requires_grad = name in trainable
        self.log_relation_terms = log_relation_terms
        self.teacher_pass = teacher_pass
        if teacher_autocast not in (None, 'float32', 'bfloat16', 'float16'):
            raise ValueError("teacher_autocast must be None, 'float32', "
                             f"'bfloat16' or 'float16', got "
                             f'{teacher_autocast!r}')
        self.teacher_autocast = teacher_autocast
        self.teacher_channels_last = teacher_channels_last
        if teacher_channels_last:
            self.teacher.to(memory_format=torch.channels_last)
        #: the student's RoIs the teacher scores, by kind (``'bbox'``,
        #: ``'mask'``), of the current / last training step
        self.student_rois: Dict[str, Tensor] = {}
        # the batch the teacher still has to run on, during loss()
        self._teacher_inputs: Optional[Tensor] = None
        # the metainfo of the batch of the current step's loss()
        self._metas: Optional[List[dict]] = None
        self._roi_modules = self.teacher_pass.student_roi_modules(
            self.student, recorded_modules(distiller.get('student_recorders')))
        for kind, module in self._roi_modules.items():
            module.register_forward_pre_hook(
                partial(self._capture_student_rois, kind))

    def _resolve_anchor_classes(self) -> None:
        """``anchor_classes='num_classes'`` of the losses: the student's
        class count."""
        for name, loss in self.distiller.distill_losses.items():
            if not isinstance(loss, RelationLoss) \
                    or loss.anchor_classes != NUM_CLASSES:
                continue
            count = num_classes(self.student)
            if count is None:
                raise ValueError(
                    f"{name}: anchor_classes='{NUM_CLASSES}', but the "
                    f'student ({type(self.student).__name__}) has no head '
                    'with num_classes; give the class count.')
            loss.anchor_classes = count

    def _capture_student_rois(self, kind: str, module, args) -> None:
        """Forward pre-hook of a student RoI extractor ``(feats, rois)``: in
        a training step, keep the RoIs; once every kind the teacher scores
        is there, the teacher runs, on them.

        The student's RoI head has not run yet, so the teacher's transient
        working set adds to the student's graph without the RoI head's
        activations, and no teacher feature map is held across the student's
        pass: the step's peak stays that of the student alone.
        """
        if self._teacher_inputs is None or kind in self.student_rois:
            return  # not in loss(), or pooled already this step
        self.student_rois[kind] = args[1].detach()
        if len(self.student_rois) == len(self._roi_modules):
            inputs, self._teacher_inputs = self._teacher_inputs, None
            self.run_teacher(inputs)

    def loss(self,
             batch_inputs: Tensor,
             data_samples: Optional[List[BaseDataElement]] = None) -> Dict:
        """Forward-only teacher, student losses, distillation losses.

        The teacher runs before the student, so that the peak memory is the
        larger of the two passes rather than their sum; a two-stage teacher
        runs inside the student's pass, when the student's RoI head is about
        to pool the RoIs it sampled, which the teacher then scores (see
        :meth:`_capture_student_rois`).
        """
        self.student_rois = {}
        self._metas = None if data_samples is None else [
            sample.metainfo for sample in data_samples
        ]
        if self._roi_modules:
            self._teacher_inputs = batch_inputs  # for the RoI-extractor hooks
        else:
            self.run_teacher(batch_inputs)
        try:
            with self.distiller.student_recorders, \
                    torch.set_grad_enabled(self.student_trainable and
                                           torch.is_grad_enabled()):
                student_losses = self.student(
                    batch_inputs, data_samples, mode='loss')
        finally:  # never left for a later predict() to find
            unscored, self._teacher_inputs = self._teacher_inputs, None
        if unscored is not None:
            # the student pooled no RoIs: a teacher that reads its RoI head
            # raises here, saying what to fix
            self.run_teacher(batch_inputs)

        losses = dict()
        if self.calculate_student_loss:
            losses.update(add_prefix(student_losses, 'student'))
        if not self.distillation_stopped:
            losses.update(
                add_prefix(self.distiller.compute_distill_losses(), 'distill'))
            if self.log_relation_terms:
                losses.update(self._relation_terms())
            losses.update(self._teacher_accuracy())
        return losses

    def parse_losses(self, losses: Dict[str, Tensor]):
        """mmengine's ``parse_losses``, refusing a non-finite total loss
        before the optimizer steps on it, so that the weights and the
        checkpoints saved from them stay finite."""
        loss, log_vars = super().parse_losses(losses)
        if not torch.isfinite(loss):
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
        return loss, log_vars

    def run_teacher(self, batch_inputs: Tensor) -> None:
        """The teacher pass on a preprocessed batch (and, for a teacher that
        scores the student's RoIs, :attr:`student_rois` of the last training
        step; for one that reads image metainfo, that of the step's data
        samples), in the teacher's precision, recorded by the teacher
        recorders."""
        if self.teacher_channels_last:
            batch_inputs = batch_inputs.contiguous(
                memory_format=torch.channels_last)
        with self.distiller.teacher_recorders, self._teacher_context():
            self.teacher_pass(batch_inputs, self.student_rois, self._metas)

    @contextlib.contextmanager
    def _teacher_context(self):
        """Gradients only for acclimated parts; the teacher's own precision.
        """
        with torch.set_grad_enabled(bool(self.acclimated_params)):
            if self.teacher_autocast is None:
                yield
                return
            device = next(self.teacher.parameters()).device.type
            with torch.autocast(
                    device,
                    dtype=getattr(torch, self.teacher_autocast),
                    enabled=self.teacher_autocast != 'float32'):
                yield

    def _relation_terms(self) -> Dict[str, Tensor]:
        """Unweighted relation terms of the last step (log-only keys)."""
        terms = dict()
        for name, loss in self.distiller.distill_losses.items():
            if not isinstance(loss, RelationLoss):  # e.g. MMRazor's own
                continue
            short = name.replace('loss_', '').replace('loss', '')
            for term, value in loss.last_terms.items():
                terms[f'rel.{short}.{term}'] = value
        return terms

    def _teacher_accuracy(self) -> Dict[str, Tensor]:
        """``teacher.train_acc``: the top-1 accuracy of the teacher's
        trained parts on the instances their losses saw this step (the mean
        of the losses' ``last_teacher_accuracy``), for the logs and
        :class:`~dist_mm.engine.TeacherGuardHook`."""
        values = [
            loss.last_teacher_accuracy
            for loss in self.distiller.distill_losses.values()
            if isinstance(loss, RelationLoss)
            and loss.last_teacher_accuracy is not None
        ]
        if not values:
            return {}
        return {'teacher.train_acc': torch.stack(values).mean()}

    def train(self, mode: bool = True) -> 'DISTPlusDistill':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self
