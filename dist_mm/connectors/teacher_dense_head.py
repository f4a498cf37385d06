"""A dense head of the student's kind, fitted on the frozen teacher's
features: the teacher's knowledge as logits the student can follow."""
from typing import Sequence, Union

from torch import Tensor

from mmengine.registry import DefaultScope
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from mmrazor.registry import MODELS


@MODELS.register_module()
class TeacherDenseHead(BaseConnector):
    """A dense classification head on a teacher's recorded features (teacher
    side), trained on the task while the teacher stays frozen.

    A teacher whose own outputs do not speak the student's language (the
    per-pixel mixture of a Mask2Former's queries, nearly one-hot) gets a
    head of the student's kind, e.g. mmseg's ``PSPHead`` for a PSPNet
    student, on its features; :class:`~dist_mm.losses.TeacherHeadFitLoss`
    trains it with the student's task loss and labels, and its logits are
    the target of :class:`~dist_mm.losses.DISTLogitLoss` (which detaches
    them, so the relations never train it). Only the head learns: the
    teacher's features are recorded without gradients. It is the teacher's
    part of the pair: fitted on the teacher's features with the training
    data and labels, as DIST+ acclimation adapts a teacher's head
    (docs/en/user_guides/stronger_teachers.md).

    Args:
        head (dict): An mmseg / mmdet decode head config
            (``type='mmseg.PSPHead'``, ``in_channels``, ``channels``,
            ``num_classes``, ``in_index``...); its ``forward`` takes the
            recorded features (a map, or a list of maps that ``in_index``
            picks from) and returns class logits.
    """

    def __init__(self, head: dict, init_cfg=None) -> None:
        super().__init__(init_cfg)
        # the head's own parts (its loss config) are of its library's scope
        scope = str(head.get('type', '')).rpartition('.')[0] or None
        with DefaultScope.overwrite_default_scope(scope):
            self.head = MODELS.build(head)
        # initialised here, by its init_cfg (e.g. a classifier's prior
        # bias): MMRazor keeps connectors in an nn.ModuleDict, which
        # mmengine's init_weights() does not recurse into
        self.head.init_weights()

    def forward_train(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        if isinstance(feats, Tensor):
            feats = [feats]
        return self.head(list(feats))
