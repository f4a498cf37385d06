"""Channels-last maps as channels-first ones."""
from torch import Tensor

from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from mmrazor.registry import MODELS


@MODELS.register_module()
class ChannelsFirstConnector(BaseConnector):
    """``[N, H, W, C]`` -> ``[N, C, H, W]`` (any number of spatial dims): the
    outputs of a linear classifier applied per position (a DETR-family
    encoder's dense scores) as the logit maps of a convolutional head.

    A view (no copy); the losses read it as is.
    """

    def forward_train(self, feature: Tensor) -> Tensor:
        if feature.ndim < 3:
            raise ValueError(
                f'{type(self).__name__} takes [N, ..., C] maps, got shape '
                f'{tuple(feature.shape)}.')
        return feature.movedim(-1, 1)
