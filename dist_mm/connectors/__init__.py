"""Connectors (MMRazor's ``MODELS`` registry) that turn a teacher's outputs
into what a dense student's are compared with."""
from .channels_first import ChannelsFirstConnector
from .mask_classification_logits import (MaskClassificationLogits,
                                         semantic_probabilities)
from .teacher_dense_head import TeacherDenseHead

__all__ = [
    'ChannelsFirstConnector', 'MaskClassificationLogits',
    'semantic_probabilities', 'TeacherDenseHead'
]
