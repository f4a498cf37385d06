"""The hand-off of the student's sampled RoIs to a teacher that scores
them (a two-stage or cascade teacher)."""
import contextlib
from functools import partial
from typing import Callable, Dict, Iterator, Optional

from torch import Tensor, nn


class StudentRoiHandoff:
    """Runs the teacher when the student's RoI heads are about to pool the
    RoIs they sampled, on those RoIs.

    The teacher pass names the student modules whose forward pre-hook
    receives ``(feats, rois)``, by kind (``'bbox'``, ``'mask'``:
    ``TeacherPass.student_roi_modules``). In a training step
    (:meth:`around_student`), each hook keeps its kind's RoIs; once every
    kind is there, the teacher runs, on them. The student's RoI head has not
    run yet, so the teacher's transient working set adds to the student's
    graph without the RoI head's activations, and no teacher feature map is
    held across the student's pass: the step's peak stays that of the
    student alone. With no such modules the teacher runs before the
    student.

    Args:
        modules: ``{kind: student module}``.
        run_teacher: Runs the teacher pass on a preprocessed batch (reading
            :attr:`rois`).
    """

    def __init__(self, modules: Dict[str, nn.Module],
                 run_teacher: Callable[[Tensor], None]) -> None:
        self.modules = modules
        self.run_teacher = run_teacher
        #: the student's RoIs the teacher scores, by kind, of the current /
        #: last training step
        self.rois: Dict[str, Tensor] = {}
        # the batch the teacher still has to run on, inside around_student
        self._pending: Optional[Tensor] = None
        for kind, module in modules.items():
            module.register_forward_pre_hook(partial(self._capture, kind))

    def _capture(self, kind: str, module: nn.Module, args) -> None:
        if self._pending is None or kind in self.rois:
            return  # not in a training step, or pooled already this step
        self.rois[kind] = args[1].detach()
        if len(self.rois) == len(self.modules):
            inputs, self._pending = self._pending, None
            self.run_teacher(inputs)

    @contextlib.contextmanager
    def around_student(self, batch_inputs: Tensor) -> Iterator[None]:
        """The student's training pass runs inside; the teacher runs before
        it, or on the RoIs it pools, or after it when it pooled none (a
        teacher that reads its RoI head then raises, saying what to fix)."""
        self.rois = {}
        if not self.modules:
            self.run_teacher(batch_inputs)
            yield
            return
        self._pending = batch_inputs
        try:
            yield
        finally:  # never left for a later predict() to find
            unscored, self._pending = self._pending, None
        if unscored is not None:
            self.run_teacher(batch_inputs)
