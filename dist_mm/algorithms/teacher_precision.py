"""The teacher's own precision, independent of the student's."""
import contextlib
from typing import Iterator, Optional

import torch
from torch import nn

AUTOCAST = (None, 'float32', 'bfloat16', 'float16')


def check_teacher_autocast(value: Optional[str]) -> Optional[str]:
    """``value`` if it is one of :data:`AUTOCAST`."""
    if value not in AUTOCAST:
        raise ValueError("teacher_autocast must be None, 'float32', "
                         f"'bfloat16' or 'float16', got {value!r}")
    return value


@contextlib.contextmanager
def teacher_context(teacher: nn.Module, grad: bool,
                    autocast: Optional[str]) -> Iterator[None]:
    """Gradients only when ``grad`` (acclimated parts); autocast to
    ``autocast`` (``'float32'``: off, also under AMP; None: the surrounding
    context's)."""
    with torch.set_grad_enabled(grad):
        if autocast is None:
            yield
            return
        device = next(teacher.parameters()).device.type
        with torch.autocast(
                device,
                dtype=getattr(torch, autocast),
                enabled=autocast != 'float32'):
            yield
