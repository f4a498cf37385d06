"""DIST+ teacher-acclimation loss (trains only the teacher's trainable part)."""
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
    """

    def __init__(self,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 activation: str = 'softmax',
                 ignore_index: int = 255) -> None:
        super().__init__()
        self.tau = tau
        self.loss_weight = loss_weight
        self.activation = activation
        self.ignore_index = ignore_index

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
