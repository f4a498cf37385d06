"""Distillation algorithms, registered in MMRazor's ``MODELS`` registry."""
from .dist_plus_distill import DISTPlusDistill
from .teacher_forward import teacher_forward

__all__ = ['DISTPlusDistill', 'teacher_forward']
