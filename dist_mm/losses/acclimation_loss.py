"""DIST+ teacher-acclimation loss (trains only the teacher's
trainable part)."""
from typing import Dict, Union

import torch
from torch import Tensor

from mmrazor.registry import MODELS

from .base import RelationLoss, check_activation, per_anchor
from .checks import check_pair
from .relations import non_target_relation
from .targets import anchor_targets, dense_targets, task_loss

# Measured on the demo (docs/en/design_decisions.md): with 1 the non-target
# relation pulled the teacher's own cross-entropy up and the teacher lost
# 1.6 mIoU over 1000 iterations; with 5 it lost 0.6, and the student was as
# good.
TARGET_WEIGHT = 5.0


@MODELS.register_module()
class TeacherAcclimationLoss(RelationLoss):
    """Non-target-class relation loss ``L_ta`` for the teacher.

    ``L_ta = mean over instances of 1 - rho(E_t, E_s)`` where ``E`` are the
    class probabilities with the target class left out. The student logits
    are detached, so only the teacher's trainable layers learn from it.

    ``L_ta`` alone is scale-invariant and never sees the target column:
    nothing in it keeps the target class on top, and an acclimated teacher
    can lose its accuracy (measured: a demo teacher fell from 68 to 9 mIoU).
    So the teacher's own task loss on the target (cross-entropy; with
    ``'sigmoid'`` RetinaNet's focal loss against the one-hot target, per
    foreground instance: see ``target_terms``) is added
    with ``target_weight``, as a dist_mm default the paper does not state:
    ``loss_weight * (L_ta + target_weight * L_task)``. Given a label map at
    a higher resolution than dense logits, ``L_task`` is computed as the
    teacher's decode head computes its loss (logits upsampled bilinearly to
    the labels), ``L_ta`` at the logits' resolution (labels nearest-resized).
    The accuracy is that of ``L_task``'s instances.

    The unweighted terms of the last call are in ``last_terms``
    (``nontarget``, ``target``), and the teacher's top-1 accuracy on the
    instances it was given (foreground only with ``'sigmoid'``) in
    ``last_teacher_accuracy`` (None when there were none).

    Args:
        tau (float): Temperature.
        loss_weight (float): Weight of the loss.
        target_weight (float): Weight of the teacher's task loss; 0 gives the
            paper's ``L_ta`` alone.
        activation (str): ``'softmax'`` or ``'sigmoid'``.
        ignore_index (int): Target value of instances to skip (e.g. 255 in
            segmentation label maps).
        align_corners (bool): ``align_corners`` of the bilinear upsampling
            of dense teacher logits to a label map of higher resolution for
            the task loss (that of the teacher's decode head).
        anchor_classes (int | str, optional): K for sigmoid anchor heads
            with ``[N, A*K, H, W]`` logits; targets are then mmdet's
            per-anchor labels ``[N, H*W*A]`` (``AnchorHead.get_targets``, one
            level), with K meaning background; a teacher with one
            ``[N, K, H, W]`` score map per position (a DETR-family
            encoder's) is then acclimated on each of the A anchors at the
            position, against that anchor's label. ``'num_classes'``: the
            student's class count, set by ``DISTPlusDistill``.
    """

    term_weights = dict(nontarget=None, target='target_weight')
    acclimates_teacher = True

    def __init__(self,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 target_weight: float = TARGET_WEIGHT,
                 activation: str = 'softmax',
                 ignore_index: int = 255,
                 anchor_classes: Union[int, str, None] = None,
                 align_corners: bool = False) -> None:
        super().__init__(loss_weight)
        self.align_corners = align_corners
        self.tau = tau
        self.target_weight = target_weight
        self.activation = check_activation(activation)
        self.ignore_index = ignore_index
        self.anchor_classes = anchor_classes

    @classmethod
    def example_inputs(cls) -> Dict[str, Tensor]:
        gen = torch.Generator().manual_seed(0)
        return dict(
            preds_T=torch.randn(8, 5, generator=gen),
            preds_S=torch.randn(8, 5, generator=gen),
            target=torch.randint(0, 5, (8, ), generator=gen))

    def forward(self, preds_T: Tensor, preds_S: Tensor,
                target: Tensor) -> Tensor:
        """``loss_weight * (L_ta + target_weight * L_task)``; arguments as
        in :meth:`relations`."""
        return self.weighted(self.relations(preds_T, preds_S, target))

    def relations(self, preds_T: Tensor, preds_S: Tensor,
                  target: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``nontarget`` (``L_ta``) and ``target`` (the
        teacher's task loss) terms; sets ``last_teacher_accuracy``.

        Args:
            preds_T: Teacher logits ``[N, C, ...]`` or ``[R, C]``
                (``[N, K, H, W]`` or ``[N, A*K, H, W]`` with
                ``anchor_classes``).
            preds_S: Student logits of the same shape (detached;
                ``[N, A*K, H, W]`` with ``anchor_classes``).
            target: Integer targets. ``[R]`` for RoI logits; for dense
                logits either the logits' spatial shape ``[N, H, W]`` or a
                label map at another resolution (``[N, H', W']`` or
                ``[N, 1, H', W']``), resized here with nearest interpolation.
        """
        name = type(self).__name__
        preds_T = per_anchor(preds_S, preds_T, self.anchor_classes, name)
        check_pair(preds_S, preds_T, name, class_dim=1)
        nontarget_logits, nontarget_target, class_dim = preds_T, target, 1
        if self.anchor_classes is not None:
            nontarget_logits, nontarget_target = anchor_targets(
                preds_T, target, self.anchor_classes, name)
            preds_S = preds_S.view(nontarget_logits.shape)
            class_dim = 2
        else:
            nontarget_target, _ = dense_targets(preds_T, target, name)
        nontarget = non_target_relation(nontarget_logits, preds_S,
                                        nontarget_target, class_dim, self.tau,
                                        self.activation, self.ignore_index)
        task, accuracy = task_loss(preds_T, target, name, self.activation,
                                   self.ignore_index, self.anchor_classes,
                                   self.align_corners)
        self.last_teacher_accuracy = accuracy
        return dict(nontarget=nontarget, target=task)
