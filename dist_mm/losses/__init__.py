"""DIST / DIST+ losses, registered in MMRazor's ``MODELS`` registry."""
from .acclimation_loss import TeacherAcclimationLoss
from .base import RelationLoss
from .feature_loss import DISTFeatureLoss
from .labels import resize_labels, valid_mask_from_labels
from .logit_loss import DISTLogitLoss
from .pearson import pearson_distance, synced_pearson_distance
from .relations import dist_relations, feature_relations, non_target_relation
from .teacher_head_fit_loss import TeacherHeadFitLoss

__all__ = [
    'RelationLoss', 'DISTLogitLoss', 'DISTFeatureLoss',
    'TeacherAcclimationLoss', 'TeacherHeadFitLoss', 'pearson_distance',
    'synced_pearson_distance', 'dist_relations', 'feature_relations',
    'non_target_relation', 'valid_mask_from_labels', 'resize_labels'
]
