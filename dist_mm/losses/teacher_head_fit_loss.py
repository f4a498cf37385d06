"""The task loss that fits a teacher-side dense head
(:class:`~dist_mm.connectors.TeacherDenseHead`)."""
from typing import Dict, Union

import torch
from torch import Tensor

from mmrazor.registry import MODELS

from .base import RelationLoss, check_activation
from .targets import task_loss


@MODELS.register_module()
class TeacherHeadFitLoss(RelationLoss):
    """The student's task loss, training a head fitted on the frozen
    teacher's features (:class:`~dist_mm.connectors.TeacherDenseHead`).

    ``'softmax'``: cross-entropy against a label map, as an mmseg decode
    head computes its loss (the ``[N, C, h, w]`` logits upsampled
    bilinearly to the ``[N, H, W]`` or ``[N, 1, H, W]`` labels), over the
    pixels that are not ``ignore_index``. ``'sigmoid'`` with
    ``anchor_classes``: RetinaNet's focal loss against the per-anchor labels
    the student's assigner gave (``AnchorHead.get_targets`` of one level),
    per foreground anchor; the head is then fitted with the student's own
    assignment. See :func:`~dist_mm.losses.targets.task_loss`.

    It trains only the head: the teacher's features it reads are recorded
    without gradients, and ``DISTLogitLoss`` detaches the head's logits. Its
    unweighted term is logged as ``task``, and the head's accuracy on the
    batch as ``teacher.train_acc``.

    Args:
        loss_weight (float): Weight of the loss.
        activation (str): ``'softmax'`` or ``'sigmoid'``.
        ignore_index (int): Label of ignored pixels.
        anchor_classes (int | str, optional): K of ``[N, A*K, H, W]``
            sigmoid anchor logits; ``'num_classes'``: the student's class
            count, set by ``DISTPlusDistill``.
        align_corners (bool): Of the bilinear upsampling (the student's
            decode head's).
    """

    term_weights = dict(task=None)

    def __init__(self,
                 loss_weight: float = 1.0,
                 activation: str = 'softmax',
                 ignore_index: int = 255,
                 anchor_classes: Union[int, str, None] = None,
                 align_corners: bool = False) -> None:
        super().__init__(loss_weight)
        self.activation = check_activation(activation)
        self.ignore_index = ignore_index
        self.anchor_classes = anchor_classes
        self.align_corners = align_corners

    @classmethod
    def example_inputs(cls) -> Dict[str, Tensor]:
        gen = torch.Generator().manual_seed(0)
        return dict(
            preds_T=torch.randn(2, 3, 4, 4, generator=gen),
            target=torch.randint(0, 3, (2, 8, 8), generator=gen))

    def forward(self, preds_T: Tensor, target: Tensor) -> Tensor:
        """``loss_weight * task``; arguments as in :meth:`relations`."""
        return self.weighted(self.relations(preds_T, target))

    def relations(self, preds_T: Tensor, target: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``task`` term; sets ``last_teacher_accuracy``.

        Args:
            preds_T: The head's logits ``[N, C, h, w]`` (``[N, A*K, h, w]``
                with ``anchor_classes``).
            target: A label map ``[N, H, W]`` / ``[N, 1, H, W]``, or the
                per-anchor labels ``[N, h*w*A]``.
        """
        name = type(self).__name__
        if preds_T.ndim != 4:
            raise ValueError(
                f'{name}: takes dense [N, C, h, w] logits, got '
                f'{tuple(preds_T.shape)}; record the output of the '
                'TeacherDenseHead connector.')
        task, self.last_teacher_accuracy = task_loss(preds_T, target, name,
                                                     self.activation,
                                                     self.ignore_index,
                                                     self.anchor_classes,
                                                     self.align_corners)
        return dict(task=task)
