"""The contract the DIST / DIST+ losses share."""
from typing import Dict, Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ACTIVATIONS = ('softmax', 'sigmoid')


class RelationLoss(nn.Module):
    """A weighted sum of unweighted relation terms.

    A subclass computes its terms in :meth:`relations` (a dict of scalar
    tensors, named as in :attr:`term_weights`), and its ``forward`` (whose
    arguments are the names used in ``loss_forward_mappings``) returns
    :meth:`weighted` of them. After each call ``last_terms`` holds the
    detached unweighted terms of that call; ``DISTPlusDistill`` logs them as
    ``rel.<loss name>.<term>``.

    Args:
        loss_weight (float): Weight of the whole loss.
    """

    #: term name -> name of the attribute holding its weight (None: 1)
    term_weights: Dict[str, Optional[str]] = {}
    #: K of ``[N, A*K, H, W]`` sigmoid anchor logits, for a loss that lays
    #: them out per anchor; ``DISTPlusDistill`` replaces
    #: :data:`STUDENT_CLASSES` by the student's class count
    anchor_classes: Union[int, str, None] = None
    #: whether the loss trains the teacher's acclimated modules
    #: (``AcclimationWarmupHook`` ramps the weight of those that do)
    acclimates_teacher: bool = False

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.last_terms: Dict[str, Tensor] = {}
        #: a loss that trains a part of the teacher: that part's top-1
        #: accuracy on the instances of the last call (None: none, or not
        #: such a loss); ``DISTPlusDistill`` logs the mean over the losses
        #: as ``teacher.train_acc``
        self.last_teacher_accuracy: Optional[Tensor] = None

    def relations(self, *args, **kwargs) -> Dict[str, Tensor]:
        """The unweighted terms."""
        raise NotImplementedError

    @classmethod
    def example_inputs(cls) -> Dict[str, Tensor]:
        """Small inputs of ``forward``, by argument name: the contract test
        (``tests/test_losses.py``) runs every registered ``RelationLoss``
        on them, so a new loss is checked without editing a list."""
        raise NotImplementedError(
            f'{cls.__name__} gives no example_inputs(): the contract test '
            'runs every registered RelationLoss on them '
            '(docs/en/advanced_guides/add_loss.md).')

    def weighted(self, terms: Dict[str, Tensor]) -> Tensor:
        """``loss_weight * sum(weight_k * term_k)``; keeps ``last_terms``."""
        self.last_terms = {k: v.detach() for k, v in terms.items()}
        return self.loss_weight * sum(
            (getattr(self, w) if w else 1.0) * terms[k]
            for k, w in self.term_weights.items())


def check_activation(activation: str) -> str:
    """``activation`` if it is ``'softmax'`` or ``'sigmoid'``."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be 'softmax' or 'sigmoid', got "
                         f'{activation!r}')
    return activation


#: ``anchor_classes`` value that DISTPlusDistill replaces by the student's
#: class count, so that configs name no dataset's class count
STUDENT_CLASSES = 'num_classes'


def anchor_view(preds: Tensor, k: int, what: str) -> Tensor:
    """Sigmoid anchor-head logits ``[N, A*K, H, W]`` as ``[N, A, K, H, W]``
    (mmdet's channel order: anchor-major, class-minor)."""
    if k == STUDENT_CLASSES:
        raise ValueError(
            f"{what}: anchor_classes='{STUDENT_CLASSES}' is set to the "
            "student's "
            'class count by DISTPlusDistill; used on its own, the loss needs '
            'the class count itself (e.g. anchor_classes=80).')
    if preds.ndim != 4 or preds.shape[1] % k:
        raise ValueError(
            f'{what}: anchor_classes={k} needs [N, A*K, H, W] logits with a '
            f'channel count divisible by {k}, got {tuple(preds.shape)}.')
    n, ak, h, w = preds.shape
    return preds.view(n, ak // k, k, h, w)


def per_anchor(preds_S: Tensor, preds_T: Tensor,
               anchor_classes: Union[int, str, None], what: str) -> Tensor:
    """In anchor-aware mode (``anchor_classes`` = K), a teacher's
    ``[N, K, H, W]`` scores (one per position, as a DETR-family encoder's)
    repeated for each of the student's A anchors of ``[N, A*K, H, W]``
    logits (mmdet's channel order, anchor-major); otherwise ``preds_T``.
    Without ``anchor_classes``, a student with a multiple of the teacher's
    channels is refused, saying what to set."""
    k = anchor_classes
    if isinstance(k, int) and preds_T.ndim == preds_S.ndim == 4 and \
            preds_T.shape[1] == k and preds_S.shape[1] % k == 0:
        return preds_T.repeat(1, preds_S.shape[1] // k, 1, 1)
    if k is None and preds_T.ndim == preds_S.ndim == 4 and \
            preds_S.shape[1] != preds_T.shape[1] and \
            preds_S.shape[1] % preds_T.shape[1] == 0:
        raise ValueError(
            f'{what}: the student has {preds_S.shape[1]} channels per '
            f'position, the teacher {preds_T.shape[1]}: for an anchor head '
            'distilled from a teacher with one score per position (a '
            "DETR-family encoder's), set anchor_classes='num_classes' so "
            "that each anchor is compared with the position's scores.")
    return preds_T


def resize_student(preds_S: Tensor, preds_T: Tensor, enabled: bool,
                   what: str) -> Tensor:
    """The student's ``[N, C, H, W]`` map bilinearly resized to the
    teacher's ``H, W`` when they differ (``enabled``), or an error saying
    how to fix it."""
    if preds_S.ndim != 4 or preds_T.ndim != 4 or \
            preds_S.shape[-2:] == preds_T.shape[-2:]:
        return preds_S
    if not enabled:
        raise ValueError(
            f'{what}: spatial sizes differ, student {tuple(preds_S.shape)} '
            f'vs teacher {tuple(preds_T.shape)}; record outputs of the same '
            'stride or set resize_student=True.')
    return F.interpolate(
        preds_S, size=preds_T.shape[-2:], mode='bilinear', align_corners=False)


def loss_logs(losses: Dict[str, nn.Module],
              terms: bool = True) -> Dict[str, Tensor]:
    """The log-only values the losses of a distiller declare on the
    contract, after a step: the unweighted terms of each ``RelationLoss`` as
    ``rel.<loss name>.<term>`` (when ``terms``), and ``teacher.train_acc``,
    the mean of their ``last_teacher_accuracy`` (the accuracy of the
    teacher's trained parts; left out when none has one). Other losses
    (e.g. MMRazor's own) are skipped."""
    ours = {k: v for k, v in losses.items() if isinstance(v, RelationLoss)}
    logs = {}
    if terms:
        for name, loss in ours.items():
            short = name.replace('loss_', '').replace('loss', '')
            for term, value in loss.last_terms.items():
                logs[f'rel.{short}.{term}'] = value
    accuracies = [
        loss.last_teacher_accuracy for loss in ours.values()
        if loss.last_teacher_accuracy is not None
    ]
    if accuracies:
        logs['teacher.train_acc'] = torch.stack(accuracies).mean()
    return logs
