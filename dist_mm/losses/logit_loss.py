"""DIST logit-level loss for dense outputs."""
from typing import Dict, Optional, Union

import torch
from torch import Tensor

from mmrazor.registry import MODELS

from .base import (RelationLoss, anchor_view, check_activation, per_anchor,
                   resize_student)
from .checks import check_mask, check_pair
from .labels import valid_mask_from_labels
from .relations import dist_relations

# flat start: DIST gradient ~ task gradient (docs/en/design_decisions.md)
SPREAD_FLOOR = 0.1
TEACHER_FLAT_RTOL = 1e-3  # relative spread of a teacher slice with no signal


@MODELS.register_module()
class DISTLogitLoss(RelationLoss):
    """DIST inter-class + intra-class Pearson relation loss on dense logits.

    Instances are every position of every dim except the class dim, so
    ``[N, C, H, W]`` segmentation logits use all N*H*W pixels and ``[R, C]``
    RoI logits use the R RoIs (never the batch axis alone).

    Args:
        inter_weight (float): beta, weight of the inter-class term.
        intra_weight (float): gamma, weight of the intra-class term.
        tau (float): Temperature.
        loss_weight (float): Weight of the whole loss.
        activation (str): ``'softmax'`` (segmentation, RoI heads) or
            ``'sigmoid'`` (RetinaNet-style heads).
        anchor_classes (int | str, optional): For sigmoid anchor heads with
            ``[N, A*K, H, W]`` logits: ``K``. When set, instances are
            positions x anchors and the class vector has K entries
            (anchor-aware mode); a teacher with one ``[N, K, H, W]`` score
            map per position (a DETR-family encoder's) is the target of
            each of the A anchors at the position. When None (default, the
            original DIST setting) the A*K channels of a position form the
            class vector.
            ``'num_classes'``: the student's class count, set by
            ``DISTPlusDistill``, so that a config names no dataset's.
        ignore_index (int): Label of ignored pixels in ``gt_labels``.
        sync_intra_class (bool): Compute the intra-class term over the
            instances of all data-parallel processes instead of the local
            batch (off by default, as in the paper). Costs two extra
            all-reduces of ``3 x C`` floats per call in forward and two in
            backward (``C`` classes): negligible bandwidth, but a
            synchronisation point, so every process must call the loss the
            same number of times per iteration.
        spread_floor (float): Bound on the student's gradient from
            near-flat probability slices. The gradient of ``1 - rho`` grows
            like ``1 / ||y_s - mean||``, so a freshly initialised student
            (nearly uniform softmax per pixel) gets steps far larger than its
            task loss's, which can drive classes out of its predictions for
            good. A slice flatter than ``spread_floor`` times the teacher's
            gets the gradient it would have at that spread (same direction);
            others, the loss value and its minima are unchanged. 0 gives the
            exact gradient.
        teacher_flat_rtol (float): Teacher slices whose std is below this
            fraction of their ``|mean|`` hold no relation to learn and are left
            out (``rho = 0``, no gradient). Matching such a slice means
            chasing noise at a gradient that grows like ``1 / ||y_s -
            mean||``; on RetinaNet's coarsest FPN level, 1x1 for small
            images, the intra-class term over a batch of 8 near-equal
            teacher outputs (std/mean 1e-6..4e-4) drove training to NaN.
            0 only leaves out float rounding noise.
        resize_student (bool): Bilinearly resize ``[N, C, H, W]`` student
            logits to the teacher's ``H, W`` when they differ (logits at
            different strides, e.g. a DeepLabV3+ teacher at stride 4 and a
            PSPNet student at stride 8); if False (default) such a mismatch
            is an error.
    """

    term_weights = dict(inter='inter_weight', intra='intra_weight')

    def __init__(self,
                 inter_weight: float = 1.0,
                 intra_weight: float = 1.0,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 activation: str = 'softmax',
                 anchor_classes: Union[int, str, None] = None,
                 ignore_index: int = 255,
                 sync_intra_class: bool = False,
                 spread_floor: float = SPREAD_FLOOR,
                 teacher_flat_rtol: float = TEACHER_FLAT_RTOL,
                 resize_student: bool = False) -> None:
        super().__init__(loss_weight)
        self.inter_weight = inter_weight
        self.intra_weight = intra_weight
        self.tau = tau
        self.activation = check_activation(activation)
        self.anchor_classes = anchor_classes
        self.ignore_index = ignore_index
        self.sync_intra_class = sync_intra_class
        self.spread_floor = spread_floor
        self.teacher_flat_rtol = teacher_flat_rtol
        self.resize_student = resize_student

    def _layout(self, preds: Tensor):
        """Anchor logits ``[N, A*K, H, W]`` as ``[N, A, K, H, W]``, and the
        class dim."""
        if self.anchor_classes is None:
            return preds, 1
        return anchor_view(preds, self.anchor_classes, type(self).__name__), 2

    def relations(self,
                  preds_S: Tensor,
                  preds_T: Tensor,
                  valid_mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Unweighted ``inter`` and ``intra`` terms (for logging)."""
        preds_S = resize_student(preds_S, preds_T, self.resize_student,
                                 type(self).__name__)
        preds_T = per_anchor(preds_S, preds_T, self.anchor_classes,
                             type(self).__name__)
        check_pair(preds_S, preds_T, type(self).__name__, class_dim=1)
        if valid_mask is not None:
            check_mask(valid_mask, preds_S, 1)
            if valid_mask.ndim == preds_S.ndim - 1:
                valid_mask = valid_mask.unsqueeze(1)
        preds_S, class_dim = self._layout(preds_S)
        preds_T, _ = self._layout(preds_T)
        if valid_mask is not None and class_dim == 2:
            valid_mask = valid_mask.unsqueeze(1)
        inter, intra = dist_relations(preds_S, preds_T, class_dim, self.tau,
                                      self.activation, valid_mask,
                                      self.sync_intra_class, self.spread_floor,
                                      self.teacher_flat_rtol)
        return dict(inter=inter, intra=intra)

    @classmethod
    def example_inputs(cls) -> Dict[str, Tensor]:
        gen = torch.Generator().manual_seed(0)
        return dict(
            preds_S=torch.randn(2, 5, 4, 4, generator=gen),
            preds_T=torch.randn(2, 5, 4, 4, generator=gen))

    def forward(self,
                preds_S: Tensor,
                preds_T: Tensor,
                valid_mask: Optional[Tensor] = None,
                gt_labels: Optional[Tensor] = None) -> Tensor:
        """Weighted DIST loss.

        Args:
            preds_S: Student logits, ``[N, C, ...]`` or ``[R, C]``.
            preds_T: Teacher logits of the same shape (detached).
            valid_mask: Optional bool mask of instances to use, the logits'
                shape without (or with size-1) class dim.
            gt_labels: Optional segmentation label map (``[N, H, W]`` or
                ``[N, 1, H, W]``, any resolution): pixels labelled
                ``ignore_index`` are left out (nearest-resized to the logits).
        """
        if gt_labels is not None:
            if valid_mask is not None:
                raise ValueError('pass valid_mask or gt_labels, not both')
            valid_mask = valid_mask_from_labels(gt_labels, preds_T.shape[-2:],
                                                self.ignore_index)
        return self.weighted(self.relations(preds_S, preds_T, valid_mask))
