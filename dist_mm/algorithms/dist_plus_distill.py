"""The DIST+ distillation algorithm: MMRazor ``SingleTeacherDistill`` with a
forward-only, strictly loaded, optionally acclimated teacher."""
from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor

from mmengine.structures import BaseDataElement
from mmrazor.models.algorithms import SingleTeacherDistill
from mmrazor.models.utils import add_prefix
from mmrazor.registry import MODELS

from ..losses.base import loss_logs
from .builder import build_model
from .checks import (check_arguments, check_finite_loss, check_models,
                     recorded_modules)
from .model_info import resolve_anchor_classes
from .module_names import freeze_except
from .roi_handoff import StudentRoiHandoff
from .teacher_checkpoint import load_teacher
from .teacher_passes import build_teacher_pass
from .teacher_precision import check_teacher_autocast, teacher_context


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
        check_arguments(distiller, kwargs)
        kwargs.pop('teacher_trainable', None)
        # Build both models first so that recorders are checked before
        # MMRazor attaches them (it only asserts, without names to pick).
        student = build_model(kwargs.pop('architecture'))
        teacher = build_model(teacher)
        # the family's pass first: it refuses what its family cannot run,
        # saying why, before the generic checks
        teacher_pass = build_teacher_pass(
            teacher,
            recorded_modules(distiller.get('teacher_recorders'))
            if truncate_teacher else None)
        check_models(distiller, student, teacher, teacher_pass,
                     acclimated_modules)
        super().__init__(
            distiller,
            teacher,
            teacher_ckpt=None,
            teacher_trainable=False,
            architecture=student,
            **kwargs)
        resolve_anchor_classes(self.distiller.distill_losses, self.student)
        load_teacher(self.teacher, teacher_ckpt)
        self.acclimated_params: List[str] = freeze_except(
            self.teacher, acclimated_modules)
        self.log_relation_terms = log_relation_terms
        self.teacher_pass = teacher_pass
        self.teacher_autocast = check_teacher_autocast(teacher_autocast)
        self.teacher_channels_last = teacher_channels_last
        if teacher_channels_last:
            self.teacher.to(memory_format=torch.channels_last)
        # the metainfo of the batch of the current step's loss()
        self._metas: Optional[List[dict]] = None
        self.roi_handoff = StudentRoiHandoff(
            self.teacher_pass.student_roi_modules(
                self.student,
                recorded_modules(distiller.get('student_recorders'))),
            self.run_teacher)

    @property
    def student_rois(self) -> Dict[str, Tensor]:
        """The student's RoIs the teacher scores, by kind (``'bbox'``,
        ``'mask'``), of the current / last training step."""
        return self.roi_handoff.rois

    def loss(self,
             batch_inputs: Tensor,
             data_samples: Optional[List[BaseDataElement]] = None) -> Dict:
        """Forward-only teacher, student losses, distillation losses.

        The teacher runs before the student, so that the peak memory is the
        larger of the two passes rather than their sum; a two-stage teacher
        runs inside the student's pass, when the student's RoI head is about
        to pool the RoIs it sampled, which the teacher then scores (see
        :class:`~dist_mm.algorithms.roi_handoff.StudentRoiHandoff`).
        """
        self._metas = None if data_samples is None else [
            sample.metainfo for sample in data_samples
        ]
        with self.roi_handoff.around_student(batch_inputs), \
                self.distiller.student_recorders, \
                torch.set_grad_enabled(self.student_trainable and
                                       torch.is_grad_enabled()):
            student_losses = self.student(
                batch_inputs, data_samples, mode='loss')

        losses = dict()
        if self.calculate_student_loss:
            losses.update(add_prefix(student_losses, 'student'))
        if not self.distillation_stopped:
            losses.update(
                add_prefix(self.distiller.compute_distill_losses(), 'distill'))
            losses.update(
                loss_logs(self.distiller.distill_losses,
                          self.log_relation_terms))
        return losses

    def parse_losses(self, losses: Dict[str, Tensor]):
        """mmengine's ``parse_losses``, refusing a non-finite total loss
        before the optimizer steps on it, so that the weights and the
        checkpoints saved from them stay finite."""
        loss, log_vars = super().parse_losses(losses)
        check_finite_loss(loss, log_vars)
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
        with self.distiller.teacher_recorders, teacher_context(
                self.teacher, bool(self.acclimated_params),
                self.teacher_autocast):
            self.teacher_pass(batch_inputs, self.student_rois, self._metas)

    def train(self, mode: bool = True) -> 'DISTPlusDistill':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self
