"""Distillation algorithms, registered in MMRazor's ``MODELS`` registry,
and the teacher passes they run, one per model family."""
from .builder import build_model
from .dist_plus_distill import DISTPlusDistill
from .teacher_passes import TEACHER_PASSES, TeacherPass, build_teacher_pass

__all__ = [
    'DISTPlusDistill', 'build_model', 'TEACHER_PASSES', 'TeacherPass',
    'build_teacher_pass'
]
