"""Two-stage detectors (Faster / Mask R-CNN, Cascade R-CNN): the teacher's
RoI head scores the student's sampled RoIs, so that RoI logits of teacher
and student line up one-to-one."""
import re
from typing import Collection, Dict, List, Optional

import torch
from torch import Tensor, nn

from .base import TEACHER_PASSES, TeacherPass

BBOX = ('roi_head.bbox_head', 'roi_head.bbox_roi_extractor')
MASK = ('roi_head.mask_head', 'roi_head.mask_roi_extractor')


def recorded_stages(sources: Optional[Collection[str]]) -> List[int]:
    """Cascade stages whose bbox head or RoI extractor is recorded."""
    pattern = re.compile(r'roi_head\.bbox_(?:head|roi_extractor)\.(\d+)')
    return sorted(
        {int(m.group(1))
         for s in sources or () if (m := pattern.match(s))})


@TEACHER_PASSES.register_module()
class TwoStageTeacherPass(TeacherPass):
    """Features, then the RoI head on the student's RoIs; no RPN, proposals,
    assignment or losses.

    * Only the backbone / neck recorded: the features alone; no RoI is
      needed, so the student may be of another family (e.g. RetinaNet
      distilled on ``neck`` from a Faster R-CNN).
    * Bbox head recorded: it scores the student's sampled RoIs, taken from
      the student's ``bbox_roi_extractor`` (for a cascade student, the stage
      whose bbox head the student records; the first by default).
    * Cascade teacher: only the recorded stages run, each on the student's
      RoIs; the first stage when none is named (as the DIST authors do:
      the later stages were trained on boxes refined once or twice).
    * Mask head recorded: it scores the student's positive RoIs, taken from
      the student's ``mask_roi_extractor``.

    With ``sources=None`` (the whole pass) the bbox head of the first stage
    runs (if the student samples RoIs), the mask head does not.
    """
    families = ('mmdet.models.detectors.TwoStageDetector', )

    def __init__(self, teacher: nn.Module,
                 sources: Optional[Collection[str]]) -> None:
        super().__init__(teacher, sources)
        roi_head = teacher.roi_head
        self.cascade = hasattr(roi_head, 'num_stages')
        self.read_bbox = sources is None or 'roi_head' in sources or \
            self.reads(*BBOX)
        self.read_mask = sources is not None and self.reads(*MASK)
        self.stages = recorded_stages(sources) or [0]
        if self.read_mask and (self.cascade or getattr(
                roi_head, 'share_roi_extractor', False)):
            raise ValueError(
                'teacher mask-head recorders need a Mask R-CNN teacher with '
                'its own mask_roi_extractor; a cascade or shared-extractor '
                'mask head is not supported. Record the bbox head or the '
                'features instead.')

    def student_roi_modules(
            self, student: nn.Module,
            student_sources: Optional[Collection[str]]
    ) -> Dict[str, nn.Module]:
        kinds = [
            k
            for k, read in (('bbox', self.read_bbox), ('mask', self.read_mask))
            if read
        ]
        if not kinds:
            return {}
        roi_head = getattr(student, 'roi_head', None)
        if roi_head is None and self.sources is None:
            # the whole pass, minus what cannot run (see the base class)
            self.read_bbox = False
            return {}
        if roi_head is None:
            raise ValueError(
                f'the teacher\'s RoI head is recorded, so it scores the '
                f'student\'s sampled RoIs, but the student '
                f'({type(student).__name__}) samples none. For a '
                'cross-family pair record only the teacher\'s backbone / '
                'neck, or use a two-stage student.')
        modules = {}
        if 'bbox' in kinds:
            extractor = roi_head.bbox_roi_extractor
            if isinstance(extractor, nn.ModuleList):  # cascade student
                stages = recorded_stages(student_sources) or [0]
                extractor = extractor[stages[0]]
            modules['bbox'] = extractor
        if 'mask' in kinds:
            if not getattr(roi_head, 'with_mask', False) or \
                    roi_head.share_roi_extractor or \
                    isinstance(roi_head.mask_roi_extractor, nn.ModuleList):
                raise ValueError(
                    'the teacher\'s mask head is recorded, so it scores the '
                    'student\'s positive RoIs: the student must be a Mask '
                    'R-CNN with its own mask_roi_extractor.')
            modules['mask'] = roi_head.mask_roi_extractor
        return modules

    def forward(self,
                inputs: Tensor,
                rois: Dict[str, Tensor],
                metas: Optional[List[dict]] = None) -> List:
        heads = self.read_bbox or self.read_mask
        feats = self.features(inputs, heads)
        if not heads:
            return [feats]
        missing = [
            k
            for k, read in (('bbox', self.read_bbox), ('mask', self.read_mask))
            if read and rois.get(k) is None
        ]
        if missing:
            raise RuntimeError(
                f'a two-stage teacher scores the student\'s sampled RoIs '
                f'({", ".join(missing)}), but none were recorded: the '
                'student must be a two-stage detector too and run its RoI '
                'head first.')
        # mmcv's RoIAlign reads NCHW memory whatever the strides
        # (channels_last input gives wrong values, silently) and has no
        # bfloat16 kernel: pool from contiguous float32 maps; the head's
        # layers still autocast
        feats = tuple(
            f.to(
                torch.float32 if f.dtype == torch.bfloat16 else f.dtype,
                memory_format=torch.contiguous_format) for f in feats)
        roi_head = self.teacher.roi_head
        outs = []
        if self.read_bbox:
            outs += [roi_head._bbox_forward(stage, feats, rois['bbox'])
                     for stage in self.stages] if self.cascade else \
                [roi_head._bbox_forward(feats, rois['bbox'])]
        if self.read_mask:
            outs.append(roi_head._mask_forward(feats, rois['mask']))
        return outs
