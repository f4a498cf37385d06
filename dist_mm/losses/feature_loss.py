"""DIST+ feature-level loss: channel and spatial relations."""
from typing import Dict

import torch
from torch import Tensor

from mmrazor.registry import MODELS

from .base import RelationLoss, resize_student
from .relations import feature_relations


@MODELS.register_module()
class DISTFeatureLoss(RelationLoss):
    """DIST+ channel relation + spatial relation loss on ``[B, D, H, W]``.

    Channel mismatches are never handled silently: put a connector on the
    student side (MMRazor's ``ConvModuleConnector`` with ``kernel_size=1``)
    so that both maps have the teacher's channel count.

    Args:
        channel_weight (float): Weight of the channel relation ``L_cr``.
        spatial_weight (float): Weight of the spatial relation ``L_sr``.
        loss_weight (float): Weight of the whole loss.
        resize_student (bool): Bilinearly resize the student map to the
            teacher's spatial size when they differ; if False such a
            mismatch is an error.
    """

    term_weights = dict(channel='channel_weight', spatial='spatial_weight')

    def __init__(self,
                 channel_weight: float = 1.0,
                 spatial_weight: float = 1.0,
                 loss_weight: float = 1.0,
                 resize_student: bool = True) -> None:
        super().__init__(loss_weight)
        self.channel_weight = channel_weight
        self.spatial_weight = spatial_weight
        self.resize_student = resize_student

    def _align(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        name = type(self).__name__
        if preds_S.ndim != 4 or preds_T.ndim != 4:
            raise ValueError(
                f'{name} expects [B, D, H, W] feature maps, got student '
                f'{tuple(preds_S.shape)} and teacher {tuple(preds_T.shape)}.')
        if preds_S.shape[0] != preds_T.shape[0]:
            raise ValueError(
                f'{name}: batch sizes differ, student {tuple(preds_S.shape)} '
                f'vs teacher {tuple(preds_T.shape)}; both must see the same '
                'batch.')
        c_s, c_t = preds_S.shape[1], preds_T.shape[1]
        if c_s != c_t:
            raise ValueError(
                f'{name}: student has {c_s} channels, teacher {c_t} (shapes '
                f'{tuple(preds_S.shape)} vs {tuple(preds_T.shape)}). Add a '
                'student-side 1x1 connector, e.g. connectors=dict(s_feat='
                f"dict(type='ConvModuleConnector', in_channel={c_s}, "
                f'out_channel={c_t}, kernel_size=1, norm_cfg=None, '
                "act_cfg=None)) and connector='s_feat' in the student entry "
                'of loss_forward_mappings.')
        return resize_student(preds_S, preds_T, self.resize_student, name)

    def relations(self, preds_S: Tensor, preds_T: Tensor) -> Dict[str, Tensor]:
        """Unweighted ``channel`` and ``spatial`` terms (for logging)."""
        channel, spatial = feature_relations(
            self._align(preds_S, preds_T), preds_T)
        return dict(channel=channel, spatial=spatial)

    @classmethod
    def example_inputs(cls) -> Dict[str, Tensor]:
        gen = torch.Generator().manual_seed(0)
        return dict(
            preds_S=torch.randn(2, 6, 4, 4, generator=gen),
            preds_T=torch.randn(2, 6, 4, 4, generator=gen))

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Weighted DIST+ feature loss (teacher map detached)."""
        return self.weighted(self.relations(preds_S, preds_T))
