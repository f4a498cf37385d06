"""mmseg ``CascadeEncoderDecoder`` segmentors (OCRNet...): the decode head
is a ``ModuleList`` of stages, each refining the previous one's output."""
from typing import List

from .base import TEACHER_PASSES
from .encoder_decoder import EncoderDecoderTeacherPass


@TEACHER_PASSES.register_module()
class CascadeEncoderDecoderTeacherPass(EncoderDecoderTeacherPass):
    """As :class:`EncoderDecoderTeacherPass`, with the cascade of decode
    heads run up to the last one that is read (all when ``decode_head``
    itself is read)."""
    families = ('mmseg.models.segmentors.CascadeEncoderDecoder', )

    def decode(self, feats) -> List:
        heads = self.teacher.decode_head
        every = self.sources is None or 'decode_head' in self.sources
        read = [
            i for i in range(len(heads))
            if every or self.reads(f'decode_head.{i}')
        ]
        if not read:
            return []
        out = heads[0](feats)
        for head in heads[1:read[-1] + 1]:
            out = head(feats, out)
        return [out]
