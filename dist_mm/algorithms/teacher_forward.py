"""Forward-only teacher passes: what the distillation losses need, no more.

The teacher computes no losses and no label assignment: detectors and
segmentors run their feature extractor and the head branches whose outputs
are recorded. A two-stage teacher scores the student's sampled RoIs, so RoI
logits of teacher and student line up one-to-one.
"""
from typing import List, Optional

from torch import Tensor, nn


def _is_two_stage(model: nn.Module) -> bool:
    from mmdet.models.detectors import TwoStageDetector
    return isinstance(model, TwoStageDetector)


def _is_single_stage(model: nn.Module) -> bool:
    from mmdet.models.detectors import SingleStageDetector
    return isinstance(model, SingleStageDetector)


def _is_encoder_decoder(model: nn.Module) -> bool:
    from mmseg.models.segmentors import EncoderDecoder
    return isinstance(model, EncoderDecoder)


def needs_student_rois(model: nn.Module) -> bool:
    """Whether the teacher's RoI head must score the student's RoIs."""
    return _is_two_stage(model)


def teacher_forward(teacher: nn.Module,
                    inputs: Tensor,
                    rois: Optional[Tensor] = None) -> List:
    """Run ``teacher`` forward-only on a preprocessed batch.

    Args:
        teacher: An mmdet detector or mmseg encoder-decoder segmentor (other
            models run ``mode='tensor'``).
        inputs: The batch after the data preprocessor.
        rois: For two-stage detectors, the student's sampled RoIs
            ``[R, 5]`` (batch index, x1, y1, x2, y2). A cascade teacher
            scores them with its last stage.

    Returns:
        list: The head outputs (recorders pick what the losses use).
    """
    if _is_two_stage(teacher):
        if rois is None:
            raise RuntimeError(
                'a two-stage teacher scores the student\'s sampled RoIs, but '
                'none were recorded: the student must be a two-stage '
                'detector too and run its RoI head first.')
        feats = teacher.extract_feat(inputs)
        roi_head = teacher.roi_head
        if hasattr(roi_head, 'num_stages'):  # cascade: the last stage scores
            return [roi_head._bbox_forward(roi_head.num_stages - 1, feats,
                                           rois)]
        return [roi_head._bbox_forward(feats, rois)]
    if _is_single_stage(teacher):
        return [teacher.bbox_head(teacher.extract_feat(inputs))]
    if _is_encoder_decoder(teacher):
        feats = teacher.extract_feat(inputs)
        outs = [teacher.decode_head(feats)]
        if teacher.with_auxiliary_head:
            aux = teacher.auxiliary_head
            heads = aux if isinstance(aux, nn.ModuleList) else [aux]
            outs += [head(feats) for head in heads]
        return outs
    return [teacher(inputs, None, mode='tensor')]
