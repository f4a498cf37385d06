"""The task loss that fits a teacher-side dense head
(:class:`~dist_mm.connectors.TeacherDenseHead`)."""
from typing import Dict, Optional

import torch.nn.functional as F
from torch import Tensor

from mmrazor.registry import MODELS

from .base import RelationLoss
from .relations import target_terms


@MODELS.register_module()
class TeacherHeadFitLoss(RelationLoss):
    """Cross-entropy of a teacher-side dense head against the label map, as
    an mmseg decode head computes its loss: the ``[N, C, h, w]`` logits
    upsampled bilinearly to the ``[N, H, W]`` (or ``[N, 1, H, W]``) labels,
    averaged over the pixels that are not ``ignore_index``.

    It trains only the head: the teacher's features it reads are recorded
    without gradients. Its unweighted term is logged as ``task``; the
    head's pixel accuracy on the batch is kept in ``last_accuracy``.

    Args:
        loss_weight (float): Weight of the loss.
        ignore_index (int): Label of ignored pixels.
        align_corners (bool): Of the bilinear upsampling (the student's
            decode head's).
    """

    term_weights = dict(task=None)

    def __init__(self,
                 loss_weight: float = 1.0,
                 ignore_index: int = 255,
                 align_corners: bool = False) -> None:
        super().__init__(loss_weight)
        self.last_accuracy: Optional[Tensor] = None
        self.ignore_index = ignore_index
        self.align_corners = align_corners

    def forward(self, preds_T: Tensor, gt_labels: Tensor) -> Tensor:
        """``loss_weight * task``; arguments as in :meth:`relations`."""
        return self.weighted(self.relations(preds_T, gt_labels))

    def relations(self, preds_T: Tensor,
                  gt_labels: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``task`` term; sets ``last_accuracy``.

        Args:
            preds_T: The head's logits ``[N, C, h, w]``.
            gt_labels: Label map ``[N, H, W]`` or ``[N, 1, H, W]``.
        """
        labels = gt_labels[:, 0] if gt_labels.ndim == 4 else gt_labels
        if preds_T.ndim != 4 or labels.ndim != 3 or \
                labels.shape[0] != preds_T.shape[0]:
            raise ValueError(
                f'{type(self).__name__}: takes [N, C, h, w] logits and an '
                f'[N, H, W] label map, got {tuple(preds_T.shape)} and '
                f'{tuple(gt_labels.shape)}; record the student\'s '
                '_stack_batch_gt as gt_labels.')
        logits = F.interpolate(
            preds_T,
            labels.shape[-2:],
            mode='bilinear',
            align_corners=self.align_corners)
        task, accuracy = target_terms(
            logits, labels, ignore_index=self.ignore_index)
        self.last_accuracy = accuracy
        return dict(task=task)
