"""Distillation algorithms, registered in MMRazor's ``MODELS`` registry,
and the teacher passes they run, one per model family."""
from .dist_plus_distill import DISTPlusDistill
from .teacher_passes import (TEACHER_PASSES, TeacherPass, build_teacher_pass,
                             teacher_forward)

__all__ = ['DISTPlusDistill', 'TEACHER_PASSES', 'TeacherPass',
           'build_teacher_pass', 'teacher_forward']
