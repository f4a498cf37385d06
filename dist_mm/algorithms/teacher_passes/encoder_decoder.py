"""mmseg ``EncoderDecoder`` segmentors (PSPNet, DeepLabV3(+), any decode
head): only the heads that are read run."""
from typing import Dict, List, Optional

from torch import Tensor, nn

from .base import TEACHER_PASSES, TeacherPass


@TEACHER_PASSES.register_module()
class EncoderDecoderTeacherPass(TeacherPass):
    """Features, the decode head if it is read, and each auxiliary head
    that is read; the losses and the resizing to the input never run."""
    families = ('mmseg.models.segmentors.EncoderDecoder', )

    def auxiliary_heads(self) -> List[nn.Module]:
        """The auxiliary heads that are read."""
        teacher = self.teacher
        if not teacher.with_auxiliary_head:
            return []
        aux = teacher.auxiliary_head
        named = [(f'auxiliary_head.{i}', h) for i, h in enumerate(aux)] \
            if isinstance(aux, nn.ModuleList) else [('auxiliary_head', aux)]
        return [head for name, head in named if self.reads(name)]

    def decode(self, feats) -> List:
        """The decode head's output, if it is read."""
        return [self.teacher.decode_head(feats)] \
            if self.reads('decode_head') else []

    def forward(self,
                inputs: Tensor,
                rois: Dict[str, Tensor],
                metas: Optional[List[dict]] = None) -> List:
        aux = self.auxiliary_heads()
        feats = self.features(inputs, bool(aux) or self.reads('decode_head'))
        decoded = self.decode(feats)
        return (decoded or [feats]) + [head(feats) for head in aux]
