"""The contract of a teacher pass: how one model family's teacher runs
forward-only for distillation."""
from typing import Collection, Dict, List, Optional, Sequence, Tuple

from torch import Tensor, nn

from mmengine.registry import Registry

#: the teacher passes by name; :func:`build_teacher_pass` picks by family
TEACHER_PASSES = Registry('teacher pass')


class TeacherPass:
    """How the teacher of one model family runs forward-only.

    A subclass registered in ``TEACHER_PASSES`` is picked for a teacher that
    is an instance of one of its :attr:`families` (the most specific match
    wins, so a subclass of a family can have a strategy of its own). It owns
    four things:

    1. how the teacher runs forward-only: :meth:`forward`, which computes no
       losses and no label assignment;
    2. which parts to skip given the recorded module names :attr:`sources`
       (:meth:`reads` tells whether a part is read);
    3. whether it needs the student's RoIs, given what is recorded: the keys
       of :meth:`student_roi_modules`;
    4. where to take them from: the student modules whose forward pre-hook
       receives ``(feats, rois)``, the values of :meth:`student_roi_modules`.

    Args:
        teacher: The teacher model.
        sources: Names of the teacher modules whose outputs are recorded;
            None runs the whole forward-only pass.
    """

    #: dotted paths of the model classes this pass runs
    families: Tuple[str, ...] = ()
    #: dotted paths of ``decode_head`` classes this pass needs; a pass
    #: that names some wins over one of the same family that names none
    decode_heads: Tuple[str, ...] = ()
    #: why this family's teacher cannot be acclimated (None: it can);
    #: ``DISTPlusDistill`` refuses ``acclimated_modules`` with it
    acclimation_refused: Optional[str] = None

    def __init__(self, teacher: nn.Module,
                 sources: Optional[Collection[str]]) -> None:
        self.teacher = teacher
        self.sources = sources

    def check_acclimated(self, modules: Sequence[str]) -> None:
        """Refuse ``acclimated_modules`` this family cannot acclimate
        (here: any, when :attr:`acclimation_refused` says why)."""
        if modules and self.acclimation_refused:
            raise ValueError(
                f'acclimated_modules={list(modules)}: a '
                f'{type(self.teacher).__name__} teacher cannot be '
                f'acclimated: {self.acclimation_refused}.')

    def reads(self, *prefixes: str) -> bool:
        """Whether a recorded source is one of ``prefixes`` or inside one
        (everything is read when :attr:`sources` is None)."""
        if self.sources is None:
            return True
        return any(within(s, p) for s in self.sources for p in prefixes)

    def features(self, inputs: Tensor, heads: bool):
        """Backbone, and the neck unless only backbone stages are read and
        no head runs."""
        teacher = self.teacher
        if heads or not getattr(teacher, 'with_neck', False) or \
                self.reads('neck'):
            return teacher.extract_feat(inputs)
        return teacher.backbone(inputs)

    def check_sources(self, sources: Collection[str]) -> None:
        """Refuse recorded teacher modules this pass never runs (called at
        build with every module recorder's source): here, loss modules; a
        subclass adds its family's.

        Raises:
            ValueError: naming them and what to record instead.
        """
        losses = sorted(
            s for s in sources if any(
                part.startswith('loss') for part in s.split('.')))
        if losses:
            raise ValueError(
                f'teacher recorders on {losses}: the teacher runs '
                'forward-only, so its loss modules never run. Record the '
                'layer whose output the loss reads (e.g. the classifier).')

    def student_roi_modules(
            self, student: nn.Module,
            student_sources: Optional[Collection[str]]
    ) -> Dict[str, nn.Module]:
        """``{kind: student module}``: the RoIs the teacher scores, by kind
        (``'bbox'``, ``'mask'``), and the student module whose forward
        pre-hook receives them as ``(feats, rois)``. Empty: none needed.

        Called once, when the algorithm is built; a pass may settle here
        which of its parts run for this student (the whole pass of a
        two-stage teacher leaves out its RoI head for a student that pools
        no RoIs), so that :meth:`forward` can still refuse missing RoIs.

        Raises:
            ValueError: when the student cannot provide them.
        """
        return {}

    def forward(self,
                inputs: Tensor,
                rois: Dict[str, Tensor],
                metas: Optional[List[dict]] = None) -> List:
        """Run the teacher on the preprocessed batch ``inputs`` (and the
        student's ``rois`` by kind; ``metas``: the images' metainfo, for
        families that read it, see :func:`batch_metas`); return the outputs
        it computed."""
        raise NotImplementedError

    def __call__(self,
                 inputs: Tensor,
                 rois: Dict[str, Tensor],
                 metas: Optional[List[dict]] = None) -> List:
        return self.forward(inputs, rois, metas)


def within(name: str, prefix: str) -> bool:
    """Whether the module ``name`` is ``prefix`` or inside it."""
    return name == prefix or name.startswith(prefix + '.')


def batch_metas(inputs: Tensor, metas: Optional[List[dict]]) -> List[dict]:
    """The images' metainfo as heads read it: ``metas`` (the data samples'),
    completed with the batch's size as ``batch_input_shape``, and as
    ``img_shape`` / ``pad_shape`` of unpadded images where missing (all of
    it when ``metas`` is None)."""
    shape = tuple(inputs.shape[-2:])
    return [
        dict(
            dict(batch_input_shape=shape, img_shape=shape, pad_shape=shape),
            **meta) for meta in (metas or [{}] * inputs.shape[0])
    ]
