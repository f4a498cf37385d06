"""One-stage dense detectors (RetinaNet, FCOS, ATSS, GFL, RTMDet...): the
head runs whole, or only its classification branch when nothing else of it
is read."""
from functools import reduce
from typing import Collection, Dict, List, Optional

from torch import Tensor, nn

from .base import TEACHER_PASSES, TeacherPass


@TEACHER_PASSES.register_module()
class DenseHeadTeacherPass(TeacherPass):
    """Features, then ``bbox_head`` if it is read.

    Classification-branch truncation, for any head built as ``cls_convs``
    followed by one classifier module (``retina_cls``, ``conv_cls``,
    ``atss_cls``, ``gfl_cls``, ``rtm_cls``...), shared over the levels or one
    per level (``ModuleList`` of stacks, as in RTMDet): when the recorded
    modules of the head are only that classifier and ``cls_convs``, the
    regression branch, centerness and anything else never run. Otherwise
    the head runs whole.
    """
    families = ('mmdet.models.detectors.SingleStageDetector', )

    def __init__(self, teacher: nn.Module,
                 sources: Optional[Collection[str]]) -> None:
        super().__init__(teacher, sources)
        #: the recorded classifier that truncation runs after ``cls_convs``
        self.classifier_name = self.classifier()

    def classifier(self) -> Optional[str]:
        """Name of the head's recorded classifier, when only it and
        ``cls_convs`` are read; None if the whole head must run."""
        head = self.teacher.bbox_head
        if self.sources is None or 'bbox_head' in self.sources or \
                not isinstance(getattr(head, 'cls_convs', None),
                               nn.ModuleList):
            return None
        read = {
            s.split('.')[1]
            for s in self.sources if s.startswith('bbox_head.')
        } - {'cls_convs'}
        name = read.pop() if len(read) == 1 else ''
        return name if 'cls' in name else None

    def forward(self,
                inputs: Tensor,
                rois: Dict[str, Tensor],
                metas: Optional[List[dict]] = None) -> List:
        heads = self.reads('bbox_head')
        feats = self.features(inputs, heads)
        if not heads:
            return [feats]
        head, name = self.teacher.bbox_head, self.classifier_name
        if name is None:
            return [head(feats)]
        convs, cls = head.cls_convs, getattr(head, name)
        per_level = isinstance(cls, nn.ModuleList)
        return [[(cls[i] if per_level else cls)(reduce(
            lambda x, conv: conv(x), convs[i] if per_level else convs, feat))
                 for i, feat in enumerate(feats)]]
