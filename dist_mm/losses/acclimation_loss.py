"""DIST+ teacher-acclimation loss (trains only the teacher's trainable part)."""
from typing import Optional

from mmrazor.registry import MODELS
from torch import Tensor, nn

from .checks import check_pair
from .functional import non_target_relation, resize_labels


@MODELS.register_module()
class TeacherAcclimationLoss(nn.Module):
    """Non-target-class relation loss ``L_ta`` for the teacher.

    ``L_ta = mean over instances of 1 - rho(E_t, E_s)`` where ``E`` are the
    class probabilities with the target class left out. The student logits
    are detached, so only the teacher's trainable layers learn from it.

    Args:
        tau (float): Temperature.
        loss_weight (float): Weight of the loss.
        activation (str): ``'softmax'`` or ``'sigmoid'``.
        ignore_index (int): Target value of instances to skip (e.g. 255 in
            segmentation label maps).
        anchor_classes (int, optional): K for sigmoid anchor heads with
            ``[N, A*K, H, W]`` logits; targets are then mmdet's per-anchor
            labels ``[N, H*W*A]`` (``AnchorHead.get_targets``, one level),
            with K meaning background.
    """

    def __init__(self,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 activation: str = 'softmax',
                 ignore_index: int = 255,
                 anchor_classes: Optional[int] = None) -> None:
        super().__init__()
        self.tau = tau
        self.loss_weight = loss_weight
        self.activation = activation
        self.ignore_index = ignore_index
        self.anchor_classes = anchor_classes

    def forward(self, preds_T: Tensor, preds_S: Tensor,
                target: Tensor) -> Tensor:
        """Compute ``L_ta``.

        Args:
            preds_T: Teacher logits ``[N, C, ...]`` or ``[R, C]``.
            preds_S: Student logits of the same shape (detached).
            target: Integer targets. ``[R]`` for RoI logits; for dense
                logits either the logits' spatial shape ``[N, H, W]`` or a
                label map at another resolution (``[N, H', W']`` or
                ``[N, 1, H', W']``), resized here with nearest interpolation.
        """
        name = type(self).__name__
        check_pair(preds_S, preds_T, name, class_dim=1)
        if self.anchor_classes is not None:
            return self._anchor_forward(preds_T, preds_S, target)
        expected = preds_T.shape[:1] + preds_T.shape[2:]
        if preds_T.ndim == 4 and target.shape != expected:
            if target.ndim == 4 and target.shape[1] == 1:
                target = target[:, 0]
            if target.ndim != 3 or target.shape[0] != preds_T.shape[0]:
                raise ValueError(
                    f'{name}: target {tuple(target.shape)} does not fit '
                    f'logits {tuple(preds_T.shape)}; expected a label map '
                    f'[N, H, W] with N={preds_T.shape[0]}.')
            target = resize_labels(target, preds_T.shape[-2:])
        elif target.shape != expected:
            raise ValueError(
                f'{name}: target {tuple(target.shape)} does not fit logits '
                f'{tuple(preds_T.shape)}; expected {tuple(expected)} (one '
                'target per instance, e.g. the sampled RoIs\' labels).')
        return self.loss_weight * non_target_relation(
            preds_T, preds_S, target, 1, self.tau, self.activation,
            self.ignore_index)

    def _anchor_forward(self, preds_T: Tensor, preds_S: Tensor,
                        target: Tensor) -> Tensor:
        """``[N, A*K, H, W]`` logits as ``[N, A, K, H, W]``, per-anchor
        targets ``[N, H*W*A]`` (mmdet's order) as ``[N, A, H, W]``."""
        k = self.anchor_classes
        n, ak, h, w = preds_T.shape
        a = ak // k
        if ak % k or target.numel() != n * h * w * a:
            raise ValueError(
                f'{type(self).__name__}: anchor_classes={k} needs '
                f'[N, A*K, H, W] logits and [N, H*W*A] targets, got logits '
                f'{tuple(preds_T.shape)} and target {tuple(target.shape)}.')
        target = target.reshape(n, h, w, a).permute(0, 3, 1, 2)
        return self.loss_weight * non_target_relation(
            preds_T.view(n, a, k, h, w), preds_S.view(n, a, k, h, w), target,
            2, self.tau, self.activation, self.ignore_index)

