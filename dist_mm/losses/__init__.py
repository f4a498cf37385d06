"""DIST / DIST+ losses, registered in MMRazor's ``MODELS`` registry."""
from .acclimation_loss import TeacherAcclimationLoss
from .feature_loss import DISTFeatureLoss
from .functional import (dist_relations, feature_relations,
                         non_target_relation, pearson_distance,
                         resize_labels, synced_pearson_distance,
                         valid_mask_from_labels)
from .logit_loss import DISTLogitLoss

__all__ = [
    'DISTLogitLoss', 'DISTFeatureLoss', 'TeacherAcclimationLoss',
    'pearson_distance', 'synced_pearson_distance', 'dist_relations',
    'feature_relations',
    'non_target_relation', 'valid_mask_from_labels', 'resize_labels'
]
