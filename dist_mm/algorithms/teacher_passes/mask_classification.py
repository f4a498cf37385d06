"""Query-based (mask classification) segmentation teachers: mmseg
``EncoderDecoder`` segmentors with a Mask2Former or MaskFormer head."""
from typing import Collection, Dict, List, Optional

from torch import Tensor

from .base import TEACHER_PASSES, TeacherPass, batch_metas, within

PIXEL_DECODER = 'decode_head.pixel_decoder'
DECODER = 'decode_head.transformer_decoder'


@TEACHER_PASSES.register_module()
class MaskClassificationTeacherPass(TeacherPass):
    """Features, then as much of the query head as is read; no matching,
    no point sampling and no losses run.

    * Only the backbone (or neck) recorded: the features alone.
    * Only ``decode_head.pixel_decoder`` (or modules inside it) recorded:
      the features and the pixel decoder; the transformer decoder never
      runs.
    * Anything else of the head recorded (``decode_head`` itself for the
      dense target, see
      :class:`~dist_mm.connectors.MaskClassificationLogits`): the head's
      forward, which returns every decoder layer's class and mask logits.
      Each layer's masks are the next layer's attention masks, so no layer
      can be left out.

    Acclimation is refused: the per-pixel distribution is a mixture of the
    queries' class and mask predictions, and the only task term that trains
    them is the set loss over Hungarian-matched queries, which this pass
    does not run (docs/en/user_guides/stronger_teachers.md).
    """
    families = ('mmseg.models.segmentors.EncoderDecoder', )
    decode_heads = ('mmseg.models.decode_heads.Mask2FormerHead',
                    'mmseg.models.decode_heads.MaskFormerHead')
    acclimation_refused = (
        'a query-based (Mask2Former / MaskFormer) teacher forms its '
        'per-pixel class distribution from query class and mask '
        'predictions that only a Hungarian-matched set loss trains, and '
        'the teacher pass runs no matching; distill without '
        'acclimated_modules (DIST logits and the DIST+ feature relations)')

    def check_sources(self, sources: Collection[str]) -> None:
        super().check_sources(sources)
        if DECODER in sources:
            raise ValueError(
                f'teacher recorder on {DECODER!r}: the head runs its layers '
                'one by one, never the decoder module itself. Record '
                f"'decode_head' (every layer's class and mask logits) or "
                f"'{DECODER}.layers.<i>'.")

    def reads_head(self) -> bool:
        """Whether anything of the head beyond its pixel decoder is read."""
        if self.sources is None:
            return True
        return any(
            within(s, 'decode_head') and not within(s, PIXEL_DECODER)
            for s in self.sources)

    def forward(self,
                inputs: Tensor,
                rois: Dict[str, Tensor],
                metas: Optional[List[dict]] = None) -> List:
        head = self.teacher.decode_head
        whole = self.reads_head()
        if not whole and not self.reads(PIXEL_DECODER):
            return [self.features(inputs, heads=False)]
        feats = self.teacher.extract_feat(inputs)
        samples = batch_metas(inputs, metas)
        if whole:
            from mmseg.structures import SegDataSample
            return [head(feats, [SegDataSample(metainfo=m) for m in samples])]
        from mmdet.models.layers import MSDeformAttnPixelDecoder
        if isinstance(head.pixel_decoder, MSDeformAttnPixelDecoder):
            return [head.pixel_decoder(feats)]  # Mask2Former's
        return [head.pixel_decoder(feats, samples)]  # MaskFormer's
