"""The per-pixel class distribution of a mask-classification head
(Mask2Former, MaskFormer), as dense logits for DIST."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from mmrazor.registry import MODELS


def _class_probabilities(cls_scores: Tensor) -> Tensor:
    """The queries' class probabilities without the "no object" column, in
    float32 (or float64 for float64 inputs)."""
    dtype = torch.promote_types(cls_scores.dtype, torch.float32)
    return F.softmax(cls_scores.to(dtype), dim=-1)[..., :-1]


def semantic_probabilities(cls_scores: Tensor, mask_logits: Tensor) -> Tensor:
    """mmseg's semantic inference of a mask-classification head at the
    masks' resolution: ``sum_q softmax(cls_q)[:-1] * sigmoid(mask_q)``.

    Args:
        cls_scores: ``[N, Q, C + 1]`` class logits of the queries, the last
            column "no object".
        mask_logits: ``[N, Q, H, W]`` mask logits of the queries.

    Returns:
        Tensor: ``[N, C, H, W]``, in float32 (or float64 for float64
        inputs).
    """
    probs = _class_probabilities(cls_scores)
    return torch.einsum('nqc,nqhw->nchw', probs,
                        mask_logits.to(probs.dtype).sigmoid())


def class_mask_logits(cls_scores: Tensor, mask_logits: Tensor) -> Tensor:
    """Each class's mask logit per pixel: the mean of the queries' mask
    logits weighted by their probability of that class,
    ``sum_q softmax(cls_q)[c] * mask_q / sum_q softmax(cls_q)[c]``
    (research option of :class:`MaskClassificationLogits`).

    Args:
        cls_scores: ``[N, Q, C + 1]`` class logits of the queries, the last
            column "no object".
        mask_logits: ``[N, Q, H, W]`` mask logits of the queries.

    Returns:
        Tensor: ``[N, C, H, W]``, in float32 (or float64 for float64
        inputs).
    """
    probs = _class_probabilities(cls_scores)
    weights = probs / probs.sum(1, keepdim=True)
    return torch.einsum('nqc,nqhw->nchw', weights, mask_logits.to(probs.dtype))


@MODELS.register_module()
class MaskClassificationLogits(BaseConnector):
    """Dense class logits from a Mask2Former / MaskFormer head's outputs,
    for :class:`~dist_mm.losses.DISTLogitLoss` (teacher side, on the head's
    recorded ``(all_cls_scores, all_mask_preds)``).

    The teacher's per-pixel class distribution ``p`` as mmseg's own
    inference forms it (:func:`semantic_probabilities` of the last decoder
    layer: each query's class probabilities without the no-object column,
    weighted by its mask probability, summed over the queries), renormalised
    per pixel, as logits ``log p``. Their softmax is ``p``; at the loss's
    temperature ``tau`` it is ``p ** (1 / tau)`` renormalised, tempered as a
    convolutional teacher's ``softmax(z / tau)`` is, so that the temperature
    softens both kinds of teacher alike. With ``scale_factor`` the masks are
    resized the way mmseg resizes them to the image (bilinear, on the
    logits, before the sigmoid).

    Args:
        scale_factor (float): Resize factor of the masks. 1 (the default)
            keeps their stride, 4 for Mask2Former, where the teacher is
            accurate: distil a stride-8 student there with
            ``DISTLogitLoss(resize_student=True)``. 0.5 forms the target at
            stride 8, where the sharp masks lose thin objects
            (docs/en/user_guides/stronger_teachers.md).
        eps (float): Floor of the renormalised probabilities before the log.
        target (str): ``'probabilities'`` (the default): ``log p`` as above;
            ``'mask_logits'`` (the shipped Mask2Former configs' target):
            :func:`class_mask_logits`, whose wrong classes keep the mask
            logits that the sigmoid of ``p`` flattens to 0; with it the
            teacher teaches more (docs/en/user_guides/teacher_strength.md).
    """

    def __init__(self,
                 scale_factor: float = 1.0,
                 eps: float = 1e-12,
                 target: str = 'probabilities',
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        if target not in ('probabilities', 'mask_logits'):
            raise ValueError("target must be 'probabilities' or "
                             f"'mask_logits', got {target!r}")
        self.scale_factor = scale_factor
        self.eps = eps
        self.target = target

    def forward_train(
            self, outputs: Tuple[Sequence[Tensor],
                                 Sequence[Tensor]]) -> Tensor:
        try:
            cls_scores, mask_logits = outputs[0][-1], outputs[1][-1]
            ok = cls_scores.ndim == 3 and mask_logits.ndim == 4
        except (TypeError, IndexError, AttributeError):
            ok = False
        if not ok:
            raise ValueError(
                f'{type(self).__name__} takes the recorded output of a '
                'Mask2Former / MaskFormer decode_head, (all_cls_scores, '
                'all_mask_preds) over the decoder layers: record '
                "dict(type='ModuleOutputs', source='decode_head') on the "
                'teacher.')
        if self.scale_factor != 1:
            mask_logits = F.interpolate(
                mask_logits.to(
                    torch.promote_types(mask_logits.dtype, torch.float32)),
                scale_factor=self.scale_factor,
                mode='bilinear',
                align_corners=False)
        if self.target == 'mask_logits':
            return class_mask_logits(cls_scores, mask_logits)
        probs = semantic_probabilities(cls_scores, mask_logits)
        probs = probs / probs.sum(1, keepdim=True).clamp_min(self.eps)
        return probs.clamp_min(self.eps).log()
