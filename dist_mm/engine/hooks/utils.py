"""Helpers shared by the hooks."""
from torch import nn

from mmengine.model import is_model_wrapper


def unwrapped(runner) -> nn.Module:
    """The runner's model without its DDP / FSDP wrapper."""
    return runner.model.module if is_model_wrapper(
        runner.model) else runner.model
