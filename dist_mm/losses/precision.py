"""Precision helpers: relation statistics are computed in float32, also
under fp16 / bf16 autocast."""
from contextlib import contextmanager
from typing import Iterator

import torch
from torch import Tensor


@contextmanager
def full_precision(x: Tensor) -> Iterator[None]:
    """Disable autocast so the relation statistics are computed in fp32."""
    with torch.autocast(device_type=x.device.type, enabled=False):
        yield


def upcast(x: Tensor) -> Tensor:
    """``x`` in float32, or unchanged if already float32/float64."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()
