"""DETR-family detection teachers (DETR, Deformable DETR, DINO...): their
dense parts, the multi-scale maps and the two-stage encoder's scores."""
from typing import Collection, Dict, List, Optional, Sequence

from torch import Tensor, nn

from .base import TEACHER_PASSES, TeacherPass, batch_metas, within

#: the transformer's modules that only the encoder's dense scores use
ENCODER = ('encoder', 'memory_trans_fc', 'memory_trans_norm')


@TEACHER_PASSES.register_module()
class DetectionTransformerTeacherPass(TeacherPass):
    """The dense outputs of a DETR-family teacher; its decoder, queries,
    matching and losses never run.

    * Backbone / neck recorded: the features (the neck's maps are the
      multi-scale maps the encoder reads, matched to a student's FPN levels
      by stride).
    * ``encoder`` recorded: the transformer encoder too (its memory is
      ``[B, sum(H*W), D]``).
    * ``bbox_head.cls_branches.<num_layers>`` recorded (a two-stage teacher:
      DINO, Deformable DETR with ``as_two_stage=True``): the encoder's dense
      class scores, the ones a two-stage teacher ranks its query proposals
      by (``pre_decoder``'s ``enc_outputs_class``). The classifier is
      called once per level on that level's ``[B, H, W, D]`` memory, so its
      recorder holds one ``[B, H, W, C]`` map per level (``record_idx`` = the
      level), channels last: a ``ChannelsFirstConnector`` makes them the
      ``[B, C, H, W]`` logits a dense student's are compared with.

    Any other teacher module (the decoder, its per-layer branches, the
    query embeddings) is refused at build: its outputs are per query, and a
    dense student has no queries to pair them with. Only the encoder's
    classifier can be acclimated (``acclimated_modules``): its dense scores
    are what the student reads, and ``TeacherAcclimationLoss`` trains it
    with the student's task loss and assignment. The decoder's classifiers
    are trained by the set loss over matched queries, which this pass does
    not run.
    """
    families = ('mmdet.models.detectors.DetectionTransformer', )
    acclimation_refused = (
        'a DETR-family teacher\'s decoder classifiers are trained by its '
        'set loss over Hungarian-matched queries, which the teacher pass '
        'does not run; only a two-stage teacher\'s encoder classifier '
        '(bbox_head.cls_branches.<num_layers>), whose dense scores the '
        'student reads, can be acclimated')

    def __init__(self, teacher: nn.Module,
                 sources: Optional[Collection[str]]) -> None:
        super().__init__(teacher, sources)
        decoder = getattr(teacher, 'decoder', None)
        self.scores_name = None
        if getattr(teacher, 'as_two_stage', False):  # DINO always is
            self.scores_name = f'bbox_head.cls_branches.{decoder.num_layers}'

    def check_acclimated(self, modules: Sequence[str]) -> None:
        """Refuse acclimated modules other than the encoder's classifier."""
        if self.scores_name and all(
                within(m, self.scores_name) for m in modules):
            return
        super().check_acclimated(modules)

    def check_sources(self, sources: Collection[str]) -> None:
        super().check_sources(sources)
        runs = ['backbone', 'neck', *ENCODER] + \
            ([self.scores_name] if self.scores_name else [])
        bad = sorted(s for s in sources if not any(within(s, p) for p in runs))
        if bad:
            name = type(self.teacher).__name__
            scores = (f'; {self.scores_name}, the two-stage encoder\'s '
                      'dense class scores' if self.scores_name else
                      f'. A {name} is not two-stage, so it has no dense '
                      'class scores (DINO and Deformable DETR with '
                      'as_two_stage=True have)')
            raise ValueError(
                f'teacher recorders on {bad}: a {name} teacher runs only '
                f'its dense parts for distillation: backbone, neck, '
                f'encoder{scores}. Decoder and query outputs have no '
                'dense student counterpart.')

    def forward(self,
                inputs: Tensor,
                rois: Dict[str, Tensor],
                metas: Optional[List[dict]] = None) -> List:
        encoder = self.reads(*ENCODER)
        scores = self.scores_name is not None and (
            self.sources is None or self.reads(self.scores_name))
        feats = self.features(inputs, heads=encoder or scores)
        if not (encoder or scores):
            return [feats]
        from mmdet.structures import DetDataSample
        teacher = self.teacher
        samples = [
            DetDataSample(metainfo=m) for m in batch_metas(inputs, metas)
        ]
        encoder_inputs, _ = teacher.pre_transformer(feats, samples)
        encoded = teacher.forward_encoder(**encoder_inputs)
        if not scores:
            return [feats, encoded['memory']]
        return [feats, encoded['memory'], self.dense_scores(**encoded)]

    def dense_scores(self, memory: Tensor, memory_mask: Optional[Tensor],
                     spatial_shapes: Tensor) -> List[Tensor]:
        """The two-stage encoder's class scores, ``[B, H, W, C]`` per
        level: its classifier on ``gen_encoder_output_proposals``' memory,
        as ``pre_decoder`` scores it."""
        teacher = self.teacher
        memory, _ = teacher.gen_encoder_output_proposals(
            memory, memory_mask, spatial_shapes)
        classifier = teacher.bbox_head.cls_branches[teacher.decoder.num_layers]
        sizes = [int(h) * int(w) for h, w in spatial_shapes.tolist()]
        return [
            classifier(level.unflatten(1, (int(h), int(w)))) for level, (
                h, w) in zip(memory.split(sizes, 1), spatial_shapes.tolist())
        ]
