"""Teacher passes: one strategy per model family, picked through the
``TEACHER_PASSES`` registry. Adding a family is one file here
(docs/en/advanced_guides/add_model_family.md)."""
import importlib
from typing import Collection, Optional

from torch import nn

from .base import TEACHER_PASSES, TeacherPass
from .cascade_encoder_decoder import CascadeEncoderDecoderTeacherPass
from .dense_head import DenseHeadTeacherPass
from .detection_transformer import DetectionTransformerTeacherPass
from .encoder_decoder import EncoderDecoderTeacherPass
from .mask_classification import MaskClassificationTeacherPass
from .two_stage import TwoStageTeacherPass


def _family(path: str) -> Optional[type]:
    module, name = path.rsplit('.', 1)
    try:
        found = importlib.import_module(module)
    except ImportError:  # mmdet or mmseg not installed
        return None
    if not isinstance(getattr(found, name, None), type):
        raise ValueError(
            f'a teacher pass names the class {path!r}, which {module} does '
            'not define: give the dotted path of the class where it is '
            'defined (families / decode_heads of the pass).')
    return getattr(found, name)


def build_teacher_pass(
        teacher: nn.Module,
        sources: Optional[Collection[str]] = None) -> TeacherPass:
    """The registered pass for ``teacher``'s family: the one whose family
    class comes first in the teacher's MRO (the most specific); among
    those, one made for the teacher's ``decode_head`` class.

    Raises:
        ValueError: naming the teacher's class and the supported families,
            when no pass runs it.
    """
    mro = type(teacher).__mro__
    head = getattr(teacher, 'decode_head', None)
    best, rank = None, (len(mro), 1)
    for cls in TEACHER_PASSES.module_dict.values():
        heads = [h for h in map(_family, cls.decode_heads) if h is not None]
        if cls.decode_heads and not isinstance(head, tuple(heads)):
            continue
        for path in cls.families:
            family = _family(path)
            if family is not None and family in mro and \
                    (mro.index(family), not heads) < rank:
                best, rank = cls, (mro.index(family), not heads)
    if best is None:
        supported = sorted(
            path.rsplit('.', 1)[1]
            for cls in TEACHER_PASSES.module_dict.values()
            for path in cls.families)
        raise ValueError(
            f'DISTPlusDistill has no teacher pass for a '
            f'{type(teacher).__name__} teacher (a '
            f'{", ".join(c.__name__ for c in mro[1:4])}). Supported '
            f'families: {", ".join(supported)}. A new family is one '
            'TeacherPass subclass registered in '
            'dist_mm.algorithms.TEACHER_PASSES (docs/en/advanced_guides/'
            'add_model_family.md).')
    return best(teacher, sources)


__all__ = [
    'TEACHER_PASSES', 'TeacherPass', 'build_teacher_pass',
    'TwoStageTeacherPass', 'DenseHeadTeacherPass', 'EncoderDecoderTeacherPass',
    'CascadeEncoderDecoderTeacherPass', 'MaskClassificationTeacherPass',
    'DetectionTransformerTeacherPass'
]
